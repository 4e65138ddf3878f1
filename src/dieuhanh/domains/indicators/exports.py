"""Exports of indicator values: one table model that every file format serialises.

CSV, Excel, SDMX-JSON and SDMX-ML all write the same :class:`ExportTable`, so a number can
never differ between two formats of the same query, and the serialisers
(:mod:`.exports_files`, :mod:`.sdmx_json`, :mod:`.sdmx_xml`) know nothing about where rows
come from. Rows come from two places:

* **the query engine** (:mod:`.exports_query`) when the caller names units: the values the
  JSON API shows — roll-ups with coverage, data re-mapped across the 2025 reform, a missing
  value kept as a row with ``None`` (never 0);
* **the stored observations** (:func:`stored_rows`, here) when the caller asks for
  "everything" (an SDMX key with an empty ``REF_AREA``): what the units of one map reported,
  as reported, in one range read per indicator along the observations primary key.

Access follows the JSON API: the route checks ``indicators.export``, the services
``indicators.read``, and only units inside the actor's scope subtree are read.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from dieuhanh.core.db import utcnow
from dieuhanh.core.errors import ProblemError
from dieuhanh.core.periods import Period, PeriodError, PeriodType
from dieuhanh.core.security import Actor
from dieuhanh.domains.indicators.catalog import indicators_by_code
from dieuhanh.domains.indicators.models import Dimension, Indicator, Observation
from dieuhanh.domains.indicators.schemas import IndicatorOut
from dieuhanh.domains.units import service as units
from dieuhanh.domains.units.schemas import UnitOut

# Stored one-letter statuses and the words every export uses for them.
STATUSES = {"p": "provisional", "f": "final"}
CADENCE_PERIOD_TYPE = {
    "day": PeriodType.DAY,
    "week": PeriodType.WEEK,
    "month": PeriodType.MONTH,
    "decree09_month": PeriodType.MONTH,  # stored under the nominal month (see query.py)
    "quarter": PeriodType.QUARTER,
    "year": PeriodType.YEAR,
}
ALL_DISAGGS = "*"
MAX_UNITS = 5000  # a table wider than every commune of a province is a mistake, not a report


@dataclass(frozen=True, slots=True)
class ExportIndicator:
    """What a file needs to know about an indicator to label and format its values."""

    code: str
    name_vi: str
    name_en: str
    measure_unit_vi: str
    measure_unit_en: str
    decimals: int
    cadence: str
    component: str
    disaggregations: tuple[str, ...] = ()
    owner: str = ""  # the agency that supplies it, for the provenance sheet
    id: int = field(default=0, compare=False, repr=False)  # server-side only

    @property
    def period_type(self) -> PeriodType:
        return CADENCE_PERIOD_TYPE[self.cadence]

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" and self.name_en else self.name_vi

    def measure_unit(self, locale: str) -> str:
        return (
            self.measure_unit_en
            if locale == "en" and self.measure_unit_en
            else (self.measure_unit_vi)
        )


@dataclass(frozen=True, slots=True)
class ExportRow:
    """One value: an indicator for a unit, a period and a disaggregation.

    ``value`` is ``None`` when nothing was reported (the row is kept so that a table shows
    the gap); ``reported``/``expected`` are the coverage of an aggregate (``None`` for a
    stored value); ``remapped`` says the value was carried across the 2025 reform.
    """

    indicator: str
    unit: str
    unit_name: str
    period: str  # canonical code: 2026, 2026Q3, 2026-07 …
    disagg: str  # canonical "dim=cat;dim=cat" sorted by dimension; "" is the total
    value: float | None
    status: str | None = None  # "final" | "provisional" | None (unknown / aggregate)
    reported: int | None = None
    expected: int | None = None
    remapped: bool = False

    @property
    def coverage(self) -> str | None:
        """``27/30``: how many of the expected units (or periods) reported."""
        if self.reported is None or self.expected is None:
            return None
        return f"{self.reported}/{self.expected}"

    @property
    def period_value(self) -> Period:
        return Period.parse(self.period)


@dataclass(frozen=True, slots=True)
class DimensionLabels:
    code: str
    name_vi: str
    name_en: str
    categories: dict[str, tuple[str, str]]  # category code -> (vi, en)


@dataclass
class ExportTable:
    """The rows of one export and everything its files say about them."""

    indicators: dict[str, ExportIndicator]
    rows: list[ExportRow]
    hierarchy: str
    parameters: dict[str, str] = field(default_factory=dict)  # the query as asked
    sources: list[str] = field(default_factory=list)  # who supplied the stored values
    dimensions: dict[str, DimensionLabels] = field(default_factory=dict)
    generated_at: datetime = field(default_factory=utcnow)

    def disagg_label(self, disagg: str, locale: str) -> str:
        return disagg_label(disagg, self.dimensions, locale)


@dataclass(frozen=True)
class ExportQuery:
    """The parameters of the query API's series and table, which exports accept as well."""

    indicators: tuple[str, ...]
    unit: str | None = None  # one unit: a series
    parent: str | None = None  # with level: the units under it (a table)
    level: str | None = None
    period_type: str | None = None  # default: the type of ``start``, else the cadence
    start: str | None = None  # period codes, inclusive
    end: str | None = None
    as_of: date | None = None  # picks the hierarchy (legacy before 2025-07-01)
    disagg: str = ""  # "" the total, "*" it and every declared breakdown, or "sex=female"

    def as_parameters(self) -> dict[str, str]:
        """The query as text, for the provenance sheet and the file name."""
        out = {"indicators": ",".join(self.indicators)}
        for name in ("unit", "parent", "level", "period_type", "start", "end", "disagg"):
            value = getattr(self, name)
            if value:
                out[name] = str(value)
        if self.as_of is not None:
            out["as_of"] = self.as_of.isoformat()
        return out


# --- disaggregations -------------------------------------------------------------------------


def parse_disagg(text: str) -> dict[str, str]:
    """``"area=urban;sex=female"`` → ``{"area": "urban", "sex": "female"}`` (sorted)."""
    out: dict[str, str] = {}
    for part in text.split(";"):
        if not part.strip():
            continue
        dim, sep, cat = part.partition("=")
        if not sep or not dim.strip() or not cat.strip():
            raise ProblemError(
                "validation_error",
                errors=[{"location": ["query", "disagg"], "message": f"bad part {part!r}"}],
            )
        out[dim.strip()] = cat.strip()
    return dict(sorted(out.items()))


def canonical_disagg(parts: dict[str, str]) -> str:
    return ";".join(f"{dim}={cat}" for dim, cat in sorted(parts.items()))


def disagg_label(disagg: str, dimensions: dict[str, DimensionLabels], locale: str) -> str:
    """``Giới tính: Nữ; Khu vực: Thành thị`` (``Tổng`` for the total)."""
    if not disagg:
        return "Total" if locale == "en" else "Tổng"
    parts = []
    for dim, cat in parse_disagg(disagg).items():
        labels = dimensions.get(dim)
        if labels is None:
            parts.append(f"{dim}: {cat}")
            continue
        cat_vi, cat_en = labels.categories.get(cat, (cat, cat))
        if locale == "en":
            parts.append(f"{labels.name_en}: {cat_en or cat}")
        else:
            parts.append(f"{labels.name_vi}: {cat_vi}")
    return "; ".join(parts)


# --- catalog lookups -------------------------------------------------------------------------


def _export_indicator(row: Indicator | IndicatorOut, owner: str = "") -> ExportIndicator:
    return ExportIndicator(
        code=row.code,
        name_vi=row.name_vi,
        name_en=row.name_en,
        measure_unit_vi=row.measure_unit_vi,
        measure_unit_en=row.measure_unit_en,
        decimals=row.decimals,
        cadence=row.cadence,
        component=row.component,
        disaggregations=tuple(row.disaggregations or ()),
        owner=owner,
        id=row.id,
    )


def indicators_for_export(*, db: Session, codes: Sequence[str]) -> dict[str, ExportIndicator]:
    """The named indicators in the order asked; ``indicator_not_found`` names the unknown."""
    wanted = list(dict.fromkeys(codes))
    found = indicators_by_code(db=db, codes=wanted)
    unknown = [code for code in wanted if code not in found]
    if unknown:
        raise ProblemError("indicator_not_found", detail=", ".join(unknown))
    return {
        code: _export_indicator(found[code], found[code].owner_agency_name or "") for code in wanted
    }


def active_indicators(*, db: Session, component: str | None = None) -> list[ExportIndicator]:
    """Every active indicator (of one component), by code."""
    statement = select(Indicator).where(Indicator.active.is_(True)).order_by(Indicator.code)
    if component is not None:
        statement = statement.where(Indicator.component == component)
    return [_export_indicator(row) for row in db.scalars(statement)]


def dimension_labels(*, db: Session) -> dict[str, DimensionLabels]:
    """Names of every disaggregation dimension and category (a small table)."""
    out: dict[str, DimensionLabels] = {}
    for row in db.scalars(select(Dimension).order_by(Dimension.code)):
        categories = {
            str(cat["code"]): (str(cat.get("name_vi", cat["code"])), str(cat.get("name_en", "")))
            for cat in row.categories
        }
        out[row.code] = DimensionLabels(row.code, row.name_vi, row.name_en, categories)
    return out


def disagg_combinations(
    indicator: ExportIndicator, dimensions: dict[str, DimensionLabels]
) -> list[str]:
    """Every disaggregation an indicator can have besides the total: each non-empty set of
    its dimensions with each category of each (``sex=female``, ``area=urban;sex=male`` …)."""
    dims = sorted(d for d in indicator.disaggregations if d in dimensions)
    out: list[str] = []
    for size in range(1, len(dims) + 1):
        for subset in itertools.combinations(dims, size):
            for cats in itertools.product(*(sorted(dimensions[d].categories) for d in subset)):
                out.append(canonical_disagg(dict(zip(subset, cats, strict=True))))
    return out


# --- periods ---------------------------------------------------------------------------------


def as_period_type(text: str) -> PeriodType:
    try:
        return PeriodType(text)
    except ValueError:
        raise PeriodError(f"unknown period type {text!r}") from None


def period_bounds(
    indicator: ExportIndicator,
    *,
    period_type: str | None,
    start: str | None,
    end: str | None,
) -> tuple[PeriodType, Period | None, Period | None]:
    """The period type an indicator is exported at (``period_type``, else its cadence) and
    the first and last period of it.

    ``start``/``end`` may be of another type (``2024`` for a monthly series): they are
    widened to whole periods of the export type (January 2024 … December 2024).
    """
    first = Period.parse(start) if start else None
    last = Period.parse(end) if end else None
    kind = as_period_type(period_type) if period_type else indicator.period_type
    lo = Period.containing(kind, first.start) if first is not None else None
    hi = Period.containing(kind, last.end) if last is not None else None
    if lo is not None and hi is not None and hi < lo:
        raise PeriodError(f"the period {end} is before {start}")
    return kind, lo, hi


# --- stored observations ---------------------------------------------------------------------


def _units_by_id(db: Session, ids: Iterable[int], hierarchy: str) -> dict[int, UnitOut]:
    """Names for the units that appear in stored rows (few: one by one; many: one list)."""
    wanted = set(ids)
    if len(wanted) <= 200:
        return {uid: units.get_unit_by_id(db=db, unit_id=uid) for uid in wanted}
    items, _ = units.search_units(db=db, hierarchy=hierarchy, limit=len(wanted) * 4 + 20000)
    return {u.id: u for u in items if u.id in wanted}


def stored_rows(
    *,
    db: Session,
    actor: Actor,
    indicators: Sequence[ExportIndicator],
    hierarchy: str,
    only: Sequence[UnitOut] | None = None,
    period_type: str | None = None,
    start: str | None = None,
    end: str | None = None,
    disaggs: Sequence[str] | None = ("",),
) -> tuple[list[ExportRow], list[str]]:
    """Values as the units reported them, with no aggregation or re-mapping.

    ``only`` lists the units to read (rows follow its order); ``None`` means every unit of
    ``hierarchy`` inside the actor's scope (rows by unit code). One range read per indicator
    along the observations primary key ``(indicator, period_type, period_start, …)``.
    Returns the rows (by indicator, unit, period, disaggregation) and the distinct sources
    that supplied them.
    """
    found: list[tuple[str, Row[int, str, str, float, str, str]]] = []
    nation = units.get_unit(db=db, code="VN", hierarchy=hierarchy)
    for indicator in indicators:
        kind, lo, hi = period_bounds(indicator, period_type=period_type, start=start, end=end)
        statement = select(
            Observation.unit_id,
            Observation.period,
            Observation.disagg,
            Observation.value,
            Observation.status,
            Observation.source,
        ).where(Observation.indicator_id == indicator.id, Observation.period_type == kind.value)
        if lo is not None:
            statement = statement.where(Observation.period_start >= lo.start)
        if hi is not None:
            statement = statement.where(Observation.period_start <= hi.start)
        if disaggs is not None:
            statement = statement.where(Observation.disagg.in_(list(disaggs)))
        if only is not None:
            statement = statement.where(Observation.unit_id.in_([u.id for u in only]))
        else:
            statement = statement.where(
                Observation.unit_id.in_(units.subtree_ids_select(nation.id, across_versions=False))
            )
            if actor.scope_unit_id is not None:
                statement = statement.where(
                    Observation.unit_id.in_(units.subtree_ids_select(actor.scope_unit_id))
                )
        found.extend((indicator.code, r) for r in db.execute(statement))
    if only is not None:
        named = {u.id: u for u in only}
        rank = {u.id: i for i, u in enumerate(only)}
    else:
        named = _units_by_id(db, {r.unit_id for _code, r in found}, hierarchy)
        rank = {uid: i for i, uid in enumerate(sorted(named, key=lambda uid: named[uid].code))}
    order = {code: i for i, code in enumerate(i.code for i in indicators)}
    found.sort(
        key=lambda f: (order[f[0]], rank[f[1].unit_id], Period.parse(f[1].period), f[1].disagg)
    )
    rows = [
        ExportRow(
            indicator=code,
            unit=named[r.unit_id].code,
            unit_name=named[r.unit_id].name,
            period=r.period,
            disagg=r.disagg,
            value=r.value,
            status=STATUSES.get(r.status),
        )
        for code, r in found
    ]
    return rows, sorted({r.source for _code, r in found if r.source})
