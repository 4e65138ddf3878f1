"""Resolve and check every row before anything is written (the all-or-nothing half).

Codes become ids here: indicator code → catalog row, period code → typed period, unit code →
unit of the right hierarchy version. Every row is checked and *every* problem collected, so a
rejected file comes back with the complete list of what to fix, not just the first mistake.

Lookups are done once per distinct value, never per row: 100,000 rows usually name a handful
of indicators, a few dozen periods and at most a few thousand units, so the per-row loop is
dictionary lookups only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from dieuhanh.core.errors import ProblemError
from dieuhanh.core.periods import Period, PeriodError, PeriodType, parse
from dieuhanh.core.security import Actor, Role
from dieuhanh.domains.indicators.ingest_messages import Issue
from dieuhanh.domains.indicators.models import Dimension, Indicator
from dieuhanh.domains.indicators.schemas_ingest import ObservationIn, Status
from dieuhanh.domains.units import service as units

# Period type each cadence is written in. Decree-09 months are stored under the nominal
# month; the cadence tells the query engine that its window runs from the 15th to the 14th.
CADENCE_TYPES: dict[str, PeriodType] = {
    "day": PeriodType.DAY,
    "week": PeriodType.WEEK,
    "month": PeriodType.MONTH,
    "decree09_month": PeriodType.MONTH,
    "quarter": PeriodType.QUARTER,
    "year": PeriodType.YEAR,
}
EXAMPLES: dict[PeriodType, str] = {
    PeriodType.DAY: "2026-07-15",
    PeriodType.WEEK: "2026W12",
    PeriodType.MONTH: "2026-07",
    PeriodType.QUARTER: "2026Q3",
    PeriodType.HALF: "2026S1",
    PeriodType.YEAR: "2026",
}
# Administrative levels, top first; an indicator reported at level L accepts L and above.
LEVEL_RANK: dict[str, int] = {"nation": 0, "province": 1, "district": 2, "commune": 3}
STATUS_CODES: dict[str, str] = {"provisional": "p", "final": "f"}
STATUS_NAMES: dict[str, Status] = {"p": "provisional", "f": "final"}
# Up to this many distinct units are looked up one by one; more load whole levels at once.
_ONE_BY_ONE = 64
_MAX_DISAGG = 128

Key = tuple[int, str, date, int, str]  # the observations primary key
_Spec = tuple[str, str | None, dict[str, Any]]  # issue code, column, extra message values


@dataclass(slots=True)
class Resolved:
    """A row that passed every check, in storage terms."""

    row: int
    indicator_id: int
    period_type: str
    period_start: date
    unit_id: int
    disagg: str
    period: str
    value: float
    status: str  # "p" | "f"
    key: Key  # the primary key above, built once


@dataclass(frozen=True)
class IndicatorInfo:
    """What the write path needs to know about a catalog entry."""

    id: int
    code: str
    cadence: str
    report_level: str
    disaggregations: tuple[str, ...]
    owner_agency_id: int | None
    formula: str | None
    active: bool


@dataclass
class Resolution:
    rows: list[Resolved] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    indicators: dict[int, IndicatorInfo] = field(default_factory=dict)
    unit_codes: dict[int, str] = field(default_factory=dict)
    periods: dict[str, Period] = field(default_factory=dict)  # canonical code → period


def canonical_disagg(categories: dict[str, str]) -> str:
    """``{"sex": "female", "area": "urban"}`` → ``"area=urban;sex=female"`` ("" = total)."""
    return ";".join(f"{dim}={cat}" for dim, cat in sorted(categories.items()))


def parse_disagg(text: str) -> dict[str, str]:
    """The inverse of :func:`canonical_disagg`; also accepts ``,`` between pairs."""
    found: dict[str, str] = {}
    for part in text.replace(",", ";").split(";"):
        if not part.strip():
            continue
        dim, sep, cat = part.partition("=")
        if not sep or not dim.strip() or not cat.strip():
            raise ValueError(f"{part!r} is not dimension=category")
        found[dim.strip()] = cat.strip()
    return found


# --- errors from the row model -----------------------------------------------------------------

_PYDANTIC_CODES = {
    "missing": "required",
    "extra_forbidden": "unknown_field",
    "finite_number": "not_finite",
    "float_parsing": "invalid_number",
    "float_type": "invalid_number",
    "string_too_short": "invalid_text",
    "string_too_long": "invalid_text",
    "string_type": "invalid_text",
}


def model_issues(error: ValidationError, row_of: Sequence[int] | None = None) -> list[Issue]:
    """Turn the row model's validation errors into row/column issues.

    ``loc`` is ``(index, field, ...)`` for a list of rows (``row_of[index]`` is its row
    number, default index + 1) and ``(field, ...)`` for one row (``row_of[0]``).
    """
    issues: list[Issue] = []
    for err in error.errors(include_input=True, include_url=False):
        loc = list(err.get("loc", ()))
        index = int(loc.pop(0)) if loc and isinstance(loc[0], int) else 0
        row = row_of[index] if row_of is not None else index + 1
        column = str(loc[0]) if loc else None
        kind = str(err.get("type", ""))
        code = _PYDANTIC_CODES.get(kind, "invalid")
        if kind == "literal_error" and column == "status":
            code = "invalid_status"
        elif kind == "literal_error" and column == "hierarchy":
            code = "invalid_hierarchy"
        elif column == "disagg" and kind not in _PYDANTIC_CODES:
            code = "invalid"
        params: dict[str, Any] = {"column": column or "", "detail": err.get("msg", "")}
        if code == "invalid_number":
            params["value"] = err.get("input")
        issues.append(Issue(code, row=row, column=column, params=params))
    return issues


# --- resolution --------------------------------------------------------------------------------


def resolve(
    *,
    db: Session,
    actor: Actor,
    rows: Sequence[ObservationIn],
    row_numbers: Sequence[int] | None = None,
    today: date,
) -> Resolution:
    """Check every row; the result holds the resolved rows and *all* issues found."""
    numbers = list(row_numbers) if row_numbers is not None else list(range(1, len(rows) + 1))
    out = Resolution()
    infos = _load_indicators(db, {r.indicator for r in rows})
    out.indicators = {info.id: info for info in infos.values()}
    categories = _load_categories(db, infos.values())

    periods: dict[str, Period | None] = {}
    for text in {r.period for r in rows}:
        try:
            periods[text] = parse(text)
        except PeriodError:
            periods[text] = None
    versions = {text: units.hierarchy_for(p.end) for text, p in periods.items() if p is not None}
    wanted = {
        (r.hierarchy or versions[r.period], r.unit)
        for r in rows
        if r.hierarchy is not None or r.period in versions
    }
    found = _load_units(db, wanted, infos.values())
    scope = _scope_ids(db, actor) if found else None

    # Checks depend on (indicator, period, hierarchy) or on (unit, indicator), never on the
    # row alone: they are worked out once per distinct combination, and the per-row loop is
    # two dictionary lookups, the duplicate check and the resolved row.
    heads: dict[tuple[str, str, str | None], _Head] = {}
    tails: dict[tuple[str | None, str, int], tuple[int, list[_Spec]]] = {}
    seen: dict[Key, int] = {}
    issues = out.issues
    rows_out = out.rows
    for row, number in zip(rows, numbers, strict=True):
        head_key = (row.indicator, row.period, row.hierarchy)
        head = heads.get(head_key)
        if head is None:
            info = infos.get(row.indicator)
            head = heads[head_key] = _head(info, periods[row.period], row.hierarchy, today, actor)
        specs, info, period_type, start, canonical, version = head
        info_id = info.id if info is not None else 0
        unit_id = 0
        if version is not None:
            tail_key = (version, row.unit, info_id)
            tail = tails.get(tail_key)
            if tail is None:
                tail = tails[tail_key] = _tail(version, found.get((version, row.unit)), info, scope)
            unit_id, unit_specs = tail
            if unit_specs:
                specs = [*specs, *unit_specs]
        disagg = ""
        if row.disagg and info is not None:
            disagg, disagg_specs = _check_disagg(row, info, categories)
            specs = [*specs, *disagg_specs]
        if specs:
            issues.extend(_issue(c, number, column, row, **params) for c, column, params in specs)
            continue
        key = (info_id, period_type, start, unit_id, disagg)
        first = seen.setdefault(key, number)
        if first != number:
            issues.append(_issue("duplicate", number, None, row, first=first))
            continue
        rows_out.append(
            Resolved(number, info_id, period_type, start, unit_id, disagg, canonical,
                     row.value, STATUS_CODES[row.status], key)
        )  # fmt: skip
    out.unit_codes = {unit.id: unit.code for unit in found.values()}
    out.periods = {str(p): p for p in periods.values() if p is not None}
    return out


# What a row's indicator, period and hierarchy decide: issues, the indicator, the period's
# type, start and canonical code, and the hierarchy its unit is looked up in.
_Head = tuple[list[_Spec], "IndicatorInfo | None", str, date, str, str | None]
_NO_DAY = date.min


def _head(
    info: IndicatorInfo | None,
    period: Period | None,
    hierarchy: str | None,
    today: date,
    actor: Actor,
) -> _Head:
    """Issues that depend only on the indicator and the period of a row, and what they
    resolve to."""
    specs: list[_Spec] = []
    if info is None:
        specs.append(("unknown_indicator", "indicator", {}))
    elif not info.active:
        specs.append(("inactive_indicator", "indicator", {}))
    elif info.formula:
        specs.append(("derived_indicator", "indicator", {}))
    elif actor.role == Role.AGENCY and info.owner_agency_id != actor.agency_unit_id:
        specs.append(("not_owner", "indicator", {}))
    if period is None:
        specs.append(("invalid_period", "period", {}))
        return specs, info, "", _NO_DAY, "", hierarchy
    if period.start > today:
        specs.append(("future_period", "period", {}))
    elif info is not None and CADENCE_TYPES.get(info.cadence) is not period.type:
        example = EXAMPLES.get(CADENCE_TYPES.get(info.cadence, period.type), "")
        specs.append(("period_type_mismatch", "period", {"example": example}))
    version = hierarchy or units.hierarchy_for(period.end)
    return specs, info, period.type.value, period.start, str(period), version


def _tail(
    version: str,
    unit: units.UnitOut | None,
    info: IndicatorInfo | None,
    scope: frozenset[int] | None,
) -> tuple[int, list[_Spec]]:
    """The unit's id and the issues that depend only on the unit (and the indicator)."""
    if unit is None:
        return 0, [("unknown_unit", "unit", {"hierarchy": version})]
    if scope is not None and unit.id not in scope:
        return unit.id, [("out_of_scope", "unit", {})]
    if info is not None and not _level_allowed(unit.level, info.report_level):
        return unit.id, [("level_not_allowed", "unit", {"level": unit.level})]
    return unit.id, []


def _issue(code: str, number: int, column: str | None, row: ObservationIn, **params: Any) -> Issue:
    values = {"indicator": row.indicator, "unit": row.unit, "period": row.period, **params}
    return Issue(code, row=number, column=column, params=values)


def _level_allowed(level: str, report_level: str) -> bool:
    rank = LEVEL_RANK.get(level)
    return rank is not None and rank <= LEVEL_RANK.get(report_level, LEVEL_RANK["province"])


def _check_disagg(
    row: ObservationIn, info: IndicatorInfo, categories: dict[str, frozenset[str]]
) -> tuple[str, list[_Spec]]:
    specs: list[_Spec] = []
    for dim, cat in row.disagg.items():
        if dim not in info.disaggregations:
            specs.append(("unknown_dimension", "disagg", {"dimension": dim}))
        elif cat not in categories.get(dim, frozenset()):
            specs.append(("unknown_category", "disagg", {"dimension": dim, "category": cat}))
    text = canonical_disagg(row.disagg)
    if not specs and len(text) > _MAX_DISAGG:
        specs.append(("invalid_text", "disagg", {}))
    return text, specs


def _load_indicators(db: Session, codes: set[str]) -> dict[str, IndicatorInfo]:
    if not codes:
        return {}
    found = db.execute(
        select(
            Indicator.id,
            Indicator.code,
            Indicator.cadence,
            Indicator.report_level,
            Indicator.disaggregations,
            Indicator.owner_agency_id,
            Indicator.formula,
            Indicator.active,
        ).where(Indicator.code.in_(sorted(codes)))
    )
    return {
        row.code: IndicatorInfo(
            id=row.id,
            code=row.code,
            cadence=row.cadence,
            report_level=row.report_level,
            disaggregations=tuple(row.disaggregations or ()),
            owner_agency_id=row.owner_agency_id,
            formula=row.formula,
            active=row.active,
        )
        for row in found
    }


def _load_categories(db: Session, infos: Iterable[IndicatorInfo]) -> dict[str, frozenset[str]]:
    dims = sorted({dim for info in infos for dim in info.disaggregations})
    if not dims:
        return {}
    rows = db.execute(select(Dimension.code, Dimension.categories).where(Dimension.code.in_(dims)))
    return {code: frozenset(c["code"] for c in cats or ()) for code, cats in rows}


def _load_units(
    db: Session, wanted: set[tuple[str, str]], infos: Iterable[IndicatorInfo]
) -> dict[tuple[str, str], units.UnitOut]:
    """(hierarchy, code) → unit. Few codes: one indexed lookup each; many: every unit of
    the levels the indicators accept, one ordered query per level (a 100k-row file of all
    communes then costs a few queries, not thousands)."""
    found: dict[tuple[str, str], units.UnitOut] = {}
    missing = set(wanted)
    if len(wanted) > _ONE_BY_ONE:
        deepest = max((LEVEL_RANK.get(i.report_level, 1) for i in infos), default=1)
        levels = [level for level, rank in LEVEL_RANK.items() if rank <= deepest]
        for version in sorted({h for h, _ in wanted}):
            for level in levels:
                items, _total = units.search_units(
                    db=db, hierarchy=version, level=level, limit=1_000_000
                )
                for unit in items:
                    found[(version, unit.code)] = unit
        missing = {pair for pair in wanted if pair not in found}
    if len(missing) > _ONE_BY_ONE:
        return found  # the rest are unknown codes: no point looking them up one by one
    for version, code in sorted(missing):
        try:
            found[(version, code)] = units.get_unit(db=db, code=code, hierarchy=version)
        except ProblemError:
            continue
    return found


def _scope_ids(db: Session, actor: Actor) -> frozenset[int] | None:
    """Ids the actor may write (their subtree and the legacy units succeeded into it);
    ``None`` for installation-wide actors."""
    if actor.scope_unit_id is None:
        return None
    return frozenset(db.scalars(units.subtree_ids_select(actor.scope_unit_id)))
