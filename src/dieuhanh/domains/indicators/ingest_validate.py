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

    @property
    def key(self) -> Key:
        return (self.indicator_id, self.period_type, self.period_start, self.unit_id, self.disagg)


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
    is_agency = actor.role == Role.AGENCY

    seen: dict[Key, int] = {}
    issues = out.issues
    for row, number in zip(rows, numbers, strict=True):
        before = len(issues)
        info = infos.get(row.indicator)
        period = periods[row.period]
        if info is None:
            issues.append(_issue("unknown_indicator", number, "indicator", row))
        elif not info.active:
            issues.append(_issue("inactive_indicator", number, "indicator", row))
        elif info.formula:
            issues.append(_issue("derived_indicator", number, "indicator", row))
        elif is_agency and info.owner_agency_id != actor.agency_unit_id:
            issues.append(_issue("not_owner", number, "indicator", row))
        if period is None:
            issues.append(_issue("invalid_period", number, "period", row))
        elif period.start > today:
            issues.append(_issue("future_period", number, "period", row))
        elif info is not None and CADENCE_TYPES.get(info.cadence) is not period.type:
            example = EXAMPLES.get(CADENCE_TYPES.get(info.cadence, period.type), "")
            issues.append(_issue("period_type_mismatch", number, "period", row, example=example))
        version = row.hierarchy or (versions.get(row.period) if period is not None else None)
        unit = found.get((version, row.unit)) if version else None
        if version and unit is None:
            issues.append(_issue("unknown_unit", number, "unit", row, hierarchy=version))
        elif unit is not None:
            if scope is not None and unit.id not in scope:
                issues.append(_issue("out_of_scope", number, "unit", row))
            elif info is not None and not _level_allowed(unit.level, info.report_level):
                issues.append(_issue("level_not_allowed", number, "unit", row, level=unit.level))
        disagg = ""
        if row.disagg and info is not None:
            disagg = _check_disagg(row, number, info, categories, issues)
        if len(issues) > before or info is None or period is None or unit is None:
            continue
        resolved = Resolved(
            row=number,
            indicator_id=info.id,
            period_type=period.type.value,
            period_start=period.start,
            unit_id=unit.id,
            disagg=disagg,
            period=str(period),
            value=row.value,
            status=STATUS_CODES[row.status],
        )
        first = seen.setdefault(resolved.key, number)
        if first != number:
            issues.append(_issue("duplicate", number, None, row, first=first))
            continue
        out.rows.append(resolved)
        out.unit_codes[unit.id] = unit.code
        out.periods.setdefault(resolved.period, period)
    return out


def _issue(code: str, number: int, column: str | None, row: ObservationIn, **params: Any) -> Issue:
    values = {"indicator": row.indicator, "unit": row.unit, "period": row.period, **params}
    return Issue(code, row=number, column=column, params=values)


def _level_allowed(level: str, report_level: str) -> bool:
    rank = LEVEL_RANK.get(level)
    return rank is not None and rank <= LEVEL_RANK.get(report_level, LEVEL_RANK["province"])


def _check_disagg(
    row: ObservationIn,
    number: int,
    info: IndicatorInfo,
    categories: dict[str, frozenset[str]],
    issues: list[Issue],
) -> str:
    ok = True
    for dim, cat in row.disagg.items():
        if dim not in info.disaggregations:
            issues.append(_issue("unknown_dimension", number, "disagg", row, dimension=dim))
            ok = False
        elif cat not in categories.get(dim, frozenset()):
            issues.append(
                _issue("unknown_category", number, "disagg", row, dimension=dim, category=cat)
            )
            ok = False
    text = canonical_disagg(row.disagg)
    if ok and len(text) > _MAX_DISAGG:
        issues.append(_issue("invalid_text", number, "disagg", row))
    return text


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
