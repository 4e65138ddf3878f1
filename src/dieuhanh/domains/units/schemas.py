"""What the units service returns and accepts (Pydantic, separate from the ORM models).

Other domains import these. The database id travels in :class:`UnitOut` for their joins but
is excluded from every JSON dump: codes are the public identifiers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import Field, field_validator

from dieuhanh.core.http import Schema
from dieuhanh.domains.units.reference import AGENCY_CODE_PATTERN, AGENCY_KINDS


class UnitRef(Schema):
    """A unit named in passing (breadcrumbs, the other side of a succession)."""

    code: str
    hierarchy: str
    level: str
    type: str
    name: str
    short_name: str


class UnitOut(Schema):
    """One administrative unit or agency."""

    id: int = Field(exclude=True, description="Database id: for other domains, never shown")
    code: str = Field(description="Official GSO code; agencies: '<unit code>.<suffix>'")
    hierarchy: str = Field(description="Hierarchy version: 'legacy' (to 2025-06-30) or '2025'")
    level: str = Field(description="nation, province, district, commune or agency")
    type: str = Field(description="Tỉnh, Thành phố, Quận, Huyện, Xã, Phường, Đặc khu, Sở…")
    name: str
    short_name: str
    parent_code: str | None
    valid_from: date | None
    valid_to: date | None
    area_km2: float | None = None
    agency_kind: str | None = None
    origin: str = Field(default="reference", description="'reference' data or 'local' agency")

    def ref(self) -> UnitRef:
        return UnitRef(
            code=self.code,
            hierarchy=self.hierarchy,
            level=self.level,
            type=self.type,
            name=self.name,
            short_name=self.short_name,
        )


class SuccessionOut(Schema):
    """A link across the 2025 reform, seen from one side: ``unit`` is the other side."""

    unit: UnitOut
    ancestors: list[UnitRef] = Field(
        description="The other unit's province and district (nation left out), top first"
    )
    kind: str = Field(description="merged, split, renamed, continued, converted or absorbed")
    weight: float = Field(description="Share of the predecessor that went to the successor")
    is_default: bool = Field(description="The predecessor's preferred successor at that level")
    effective: date


class HomeSummary(Schema):
    """The home province at a glance, for the home page and the units page."""

    unit: UnitOut
    communes: int
    communes_by_type: dict[str, int]
    departments: int = Field(description="Agencies directly under the province")
    agencies: int = Field(description="Agencies anywhere in the province, incl. commune UBNDs")
    merged_from: list[UnitRef] = Field(description="Legacy provinces that formed it")
    boundary: dict[str, Any] | None = Field(description="GeoJSON Feature of its outline")


class AgencyCreate(Schema):
    """A province's own agency, added by an administrator."""

    parent: str = Field(min_length=1, max_length=64, description="Code of the parent unit")
    code: str = Field(
        min_length=3,
        max_length=64,
        pattern=AGENCY_CODE_PATTERN,
        description="'<administrative unit code>.<suffix>', e.g. 48.SDL",
    )
    name: str = Field(min_length=2, max_length=255)
    short_name: str | None = Field(default=None, max_length=255)
    agency_kind: str = Field(description="health, education, police, … or other")
    type: str = Field(default="Cơ quan", min_length=1, max_length=64)

    @field_validator("name", "short_name", "type")
    @classmethod
    def _strip(cls, value: str | None) -> str | None:
        return value.strip() if value is not None else None

    @field_validator("agency_kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        if value not in AGENCY_KINDS:
            raise ValueError(f"unknown agency kind; use one of {', '.join(sorted(AGENCY_KINDS))}")
        return value


@dataclass(frozen=True)
class UnitScope:
    """A resource for ``core.security.allowed``: a unit's id and every id that contains it."""

    scope_unit_ids: frozenset[int]
