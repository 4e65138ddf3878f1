"""What the indicators catalog accepts and returns (Pydantic, separate from the ORM models).

Codes are the public identifiers: an indicator names its weight indicator and its owner agency
by code. Database ids travel in the ``*_id`` fields for other domains' joins but are excluded
from every JSON dump, as in ``units.schemas.UnitOut``.

Field rules live here so that the API, the edit page and component packs reject the same
things with the same error types; checks that need the database (does the weight indicator
exist, does the formula reference known codes) are the service's.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from dieuhanh.core.http import Schema

CODE_PATTERN = r"^[A-Z][A-Z0-9_]{1,63}$"
SLUG_PATTERN = r"^[a-z][a-z0-9_]{1,63}$"
DIMENSION_PATTERN = r"^[a-z][a-z0-9_]{0,31}$"
CATEGORY_PATTERN = r"^[a-z0-9][a-z0-9_+-]{0,31}$"

AggUnits = Literal["sum", "avg", "wavg", "min", "max", "none"]
AggTime = Literal["sum", "avg", "last", "first", "max", "min"]
Direction = Literal["up", "down", "none"]
Cadence = Literal["day", "week", "month", "decree09_month", "quarter", "year"]
ReportLevel = Literal["commune", "district", "province"]
Operator = Literal["==", "!=", "<", "<=", ">", ">="]
MissingStrategy = Literal["skip_if_any_missing", "skip_if_all_missing", "never_skip"]
Severity = Literal["error", "warning"]
HierarchyName = Literal["legacy", "2025"]

IndicatorCode = Annotated[str, StringConstraints(pattern=CODE_PATTERN)]
Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=255)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)]
Expression = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


def _blank_to_none(value: Any) -> Any:
    """Forms send empty strings for "no value"; the catalog stores NULL."""
    if isinstance(value, str) and not value.strip():
        return None
    return value


# --- dimensions ------------------------------------------------------------------------------


class CategoryIn(Schema):
    """One category of a dimension, e.g. ``female`` / Nữ / Female."""

    code: Annotated[str, StringConstraints(pattern=CATEGORY_PATTERN)]
    name_vi: Name
    name_en: Name


class DimensionIn(Schema):
    """A disaggregation dimension as a component pack declares it."""

    code: Annotated[str, StringConstraints(pattern=DIMENSION_PATTERN)]
    name_vi: Name
    name_en: Name
    categories: list[CategoryIn] = Field(min_length=1, max_length=200)

    @field_validator("categories")
    @classmethod
    def _unique_categories(cls, value: list[CategoryIn]) -> list[CategoryIn]:
        codes = [c.code for c in value]
        if len(set(codes)) != len(codes):
            raise PydanticCustomError("duplicate_category", "category codes must be unique")
        return value


class DimensionOut(DimensionIn):
    pass


# --- indicators ------------------------------------------------------------------------------


class IndicatorFields(Schema):
    """The definition shared by the API, the edit page and packs (no component, no owner)."""

    code: IndicatorCode = Field(description="Readable code, e.g. GRDP_GROWTH")
    name_vi: Name
    name_en: Name
    description_vi: LongText = ""
    description_en: LongText = ""
    measure_unit_vi: ShortText = Field(default="", description="e.g. 'tỷ đồng', '%'")
    measure_unit_en: ShortText = ""
    sector: Slug = Field(description="e.g. economy, finance, health")
    agg_units: AggUnits = Field(description="Aggregation across units")
    weight_indicator: IndicatorCode | None = Field(
        default=None,
        validate_default=True,
        description="Code of the weight (wavg only), e.g. POPULATION",
    )
    agg_time: AggTime = Field(description="Aggregation over time")
    direction: Direction = Field(default="up", description="Whether higher is better")
    decimals: int = Field(default=1, ge=0, le=6)
    disaggregations: list[Annotated[str, StringConstraints(pattern=DIMENSION_PATTERN)]] = Field(
        default_factory=list, max_length=8, description="Dimension codes, e.g. sex, area"
    )
    cadence: Cadence
    deadline_workdays: int = Field(
        default=10, ge=0, le=250, description="Working days after the period's end"
    )
    report_level: ReportLevel = Field(
        default="province", description="Lowest administrative level that reports it"
    )
    formula: Expression | None = Field(
        default=None, description="Derived indicators: e.g. #{BUDGET_REVENUE} / #{POPULATION}"
    )
    threshold_ok: float = Field(default=1.0, ge=0, le=10, description="Green from this share")
    threshold_warn: float = Field(
        default=0.9, ge=0, le=10, validate_default=True, description="Amber from this share"
    )
    active: bool = True

    _blank = field_validator("weight_indicator", "formula", mode="before")(_blank_to_none)

    @field_validator("disaggregations")
    @classmethod
    def _unique_dimensions(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise PydanticCustomError("duplicate_dimension", "a dimension is listed twice")
        return value

    # Cross-field checks are field validators (reading earlier fields from ``info.data``), not
    # a model validator, so that the error is located at the field a person must correct.
    @field_validator("weight_indicator", mode="after")
    @classmethod
    def _weight_matches_aggregation(cls, value: str | None, info: ValidationInfo) -> str | None:
        agg_units = info.data.get("agg_units")
        if agg_units == "wavg" and value is None:
            raise PydanticCustomError(
                "weight_required", "a weighted average needs weight_indicator"
            )
        if agg_units is not None and agg_units != "wavg" and value is not None:
            raise PydanticCustomError(
                "weight_not_allowed", "weight_indicator is only used with agg_units 'wavg'"
            )
        if value is not None and value == info.data.get("code"):
            raise PydanticCustomError("weight_self", "an indicator cannot weight itself")
        return value

    @field_validator("threshold_warn", mode="after")
    @classmethod
    def _thresholds_ordered(cls, value: float, info: ValidationInfo) -> float:
        ok = info.data.get("threshold_ok")
        if ok is not None and value > ok:
            raise PydanticCustomError(
                "threshold_order", "threshold_warn must not be above threshold_ok"
            )
        return value


class IndicatorIn(IndicatorFields):
    """A definition sent to ``POST /api/v1/indicators`` (or built by the edit page)."""

    component: Slug = Field(default="local", description="The pack that declares it")
    owner_agency: str | None = Field(
        default=None, max_length=64, description="Code of the owner agency, e.g. 48.STC"
    )

    _blank_owner = field_validator("owner_agency", mode="before")(_blank_to_none)


class IndicatorPatch(Schema):
    """``PATCH``: only the fields sent change; the code never does."""

    name_vi: Name | None = None
    name_en: Name | None = None
    description_vi: LongText | None = None
    description_en: LongText | None = None
    measure_unit_vi: ShortText | None = None
    measure_unit_en: ShortText | None = None
    sector: Slug | None = None
    component: Slug | None = None
    agg_units: AggUnits | None = None
    weight_indicator: IndicatorCode | None = None
    agg_time: AggTime | None = None
    direction: Direction | None = None
    decimals: int | None = Field(default=None, ge=0, le=6)
    disaggregations: list[str] | None = None
    owner_agency: str | None = Field(default=None, max_length=64)
    cadence: Cadence | None = None
    deadline_workdays: int | None = Field(default=None, ge=0, le=250)
    report_level: ReportLevel | None = None
    formula: str | None = Field(default=None, max_length=2000)
    threshold_ok: float | None = Field(default=None, ge=0, le=10)
    threshold_warn: float | None = Field(default=None, ge=0, le=10)
    active: bool | None = None


class IndicatorOut(IndicatorIn):
    """A catalog entry as every reader sees it."""

    id: int = Field(exclude=True, description="Database id: for other domains, never shown")
    weight_indicator_id: int | None = Field(default=None, exclude=True)
    owner_agency_id: int | None = Field(default=None, exclude=True)
    owner_agency_name: str | None = None
    version: int
    updated_at: datetime

    def definition(self) -> dict[str, Any]:
        """The versioned part: what a change of definition compares and records."""
        return definition_of(self)


def definition_of(data: IndicatorIn) -> dict[str, Any]:
    """An :class:`IndicatorIn`'s fields as JSON, the shape stored in ``indicator_versions``."""
    return data.model_dump(mode="json", include=set(IndicatorIn.model_fields))


class IndicatorVersionOut(Schema):
    version: int
    definition: dict[str, Any]
    changed_by: str
    changed_at: datetime


# --- validation rules ------------------------------------------------------------------------


class RuleFields(Schema):
    """``left operator right``, evaluated per unit and period with a missing-value strategy."""

    code: IndicatorCode = Field(description="e.g. POPULATION_SEX_SUM")
    name_vi: Name
    name_en: Name
    left: Expression
    operator: Operator
    right: Expression
    missing_strategy: MissingStrategy = "skip_if_any_missing"
    severity: Severity = "error"
    active: bool = True


class RuleIn(RuleFields):
    component: Slug = "local"


class RulePatch(Schema):
    name_vi: Name | None = None
    name_en: Name | None = None
    left: Expression | None = None
    operator: Operator | None = None
    right: Expression | None = None
    missing_strategy: MissingStrategy | None = None
    severity: Severity | None = None
    component: Slug | None = None
    active: bool | None = None


class RuleOut(RuleIn):
    id: int = Field(exclude=True)


# --- targets ---------------------------------------------------------------------------------


class TargetIn(Schema):
    """A plan value for one unit: the year (``month`` 0) or one month of it (1–12)."""

    unit: str = Field(min_length=1, max_length=64, description="Unit code, e.g. 48")
    year: int = Field(ge=2000, le=2100)
    month: int = Field(default=0, ge=0, le=12, description="0 = the whole year")
    value: float
    source: str = Field(default="", max_length=128, description="e.g. Nghị quyết 45/NQ-HĐND")
    hierarchy: HierarchyName | None = Field(
        default=None, description="Map of the unit code (default: the one in force at year end)"
    )

    @field_validator("value")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise PydanticCustomError("finite_number", "the value must be a finite number")
        return value


class TargetOut(Schema):
    indicator: str
    unit: str
    unit_name: str
    hierarchy: str
    unit_id: int = Field(exclude=True)
    year: int
    month: int
    value: float
    source: str


# --- component packs -------------------------------------------------------------------------


class PackIndicator(IndicatorFields):
    """An indicator in a ``pack.yaml``: the component is the pack's; the owner is portable.

    ``owner_agency`` names the agency by its suffix (``STC`` = Sở Tài chính), resolved at sync
    to the home province's agency (``48.STC``), so one pack serves every province. A full
    code (with a dot) is taken as it is, for a province's own pack.
    """

    owner_agency: str | None = Field(default=None, max_length=64)


class PackRule(RuleFields):
    pass


class CatalogPack(Schema):
    """The part of a component pack the indicators catalog synchronises."""

    code: Slug
    name_vi: Name
    name_en: Name
    dimensions: list[DimensionIn] = Field(default_factory=list)
    indicators: list[PackIndicator] = Field(default_factory=list)
    validation_rules: list[PackRule] = Field(default_factory=list)


class SyncReport(Schema):
    """What a pack synchronisation did, by code."""

    created: list[str] = Field(default_factory=list)
    updated: list[str] = Field(default_factory=list)
    unchanged: list[str] = Field(default_factory=list)
    deactivated: list[str] = Field(default_factory=list)
    kept_local: list[str] = Field(
        default_factory=list, description="Edited locally since the last sync: left as they are"
    )
    rules_created: list[str] = Field(default_factory=list)
    rules_updated: list[str] = Field(default_factory=list)
    rules_deactivated: list[str] = Field(default_factory=list)
    dimensions: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{len(self.created)} created, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged, {len(self.deactivated)} deactivated, "
            f"{len(self.kept_local)} kept local; rules {len(self.rules_created)} created, "
            f"{len(self.rules_updated)} updated, {len(self.rules_deactivated)} deactivated; "
            f"{len(self.dimensions)} dimensions"
        )
