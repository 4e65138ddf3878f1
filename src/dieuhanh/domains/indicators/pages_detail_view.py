"""The pieces of the indicator detail page: what is selected, the chart, the plan, the
freshness, the table by unit and its links. The routes are in :mod:`.pages_detail`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import Request

from dieuhanh.core import expressions
from dieuhanh.core.http import get_settings, require
from dieuhanh.core.i18n import N_, format_date, format_datetime, format_number, gettext
from dieuhanh.core.periods import Period, PeriodError, PeriodType, label, parse
from dieuhanh.core.reporting_periods import reporting_window
from dieuhanh.core.security import Actor
from dieuhanh.domains.indicators import service
from dieuhanh.domains.indicators.schemas import IndicatorOut, TargetOut
from dieuhanh.domains.indicators.schemas_query import CellOut, PointOut, ValueOut
from dieuhanh.domains.units import service as units
from dieuhanh.domains.units.service import CURRENT, LEGACY, REFORM_DATE, UnitOut

READ = [require("indicators.read")]
CODE_PATH = "/indicators/{code:indicator_code}"
ADMIN_LEVELS = ("province", "district", "commune")
MAX_CHILDREN = 1000
# How far back the chart goes, in periods of each type (five years), and steps in a year.
CHART_SPAN = {PeriodType.MONTH: 60, PeriodType.QUARTER: 20, PeriodType.YEAR: 8}
PER_YEAR = {PeriodType.MONTH: 12, PeriodType.QUARTER: 4, PeriodType.YEAR: 1}
TYPES = (PeriodType.MONTH, PeriodType.QUARTER, PeriodType.YEAR)
FIRST_TYPE = {"quarter": 1, "year": 2}  # cadence -> first of TYPES it can be shown at
TYPE_LABELS = dict(zip(TYPES, (N_("Month"), N_("Quarter"), N_("Year")), strict=True))
TARGET_COLOURS = {"green": "ok", "amber": "warn", "red": "bad", "grey": "none"}
# The period type each cadence is written in (as the write path checks it): only a unit's own
# value at that type is one stored observation, so only such a value has a revision history.
STORED_TYPES = {
    "day": PeriodType.DAY,
    "week": PeriodType.WEEK,
    "month": PeriodType.MONTH,
    "decree09_month": PeriodType.MONTH,
    "quarter": PeriodType.QUARTER,
    "year": PeriodType.YEAR,
}
CHART_NAMES = {
    "value": N_("Actual"),
    "last_year": N_("Same period last year"),
    "target": N_("Plan"),
}
# Values computed through the 2025 successions: (legend, mark, note) on each map.
REMAPPED = {
    CURRENT: (
        N_("Converted to the new boundaries"),
        N_("Converted to the new administrative boundaries"),
        N_("Figures before 1 July 2025 are converted to the new administrative boundaries"),
    ),
    LEGACY: (
        N_("Converted to the former boundaries"),
        N_("Converted to the former administrative boundaries"),
        N_("Figures from 1 July 2025 are converted to the former administrative boundaries"),
    ),
}


@dataclass(frozen=True)
class Selection:
    """What the visitor is looking at."""

    indicator: IndicatorOut
    unit: UnitOut
    period_type: PeriodType
    period: Period
    first: Period  # first period of the chart
    last: Period  # last period of the chart

    def params(self, **changes: Any) -> dict[str, str]:
        unit: UnitOut = changes.get("unit", self.unit)
        params = {"unit": unit.code}
        if unit.hierarchy != CURRENT:
            params["hierarchy"] = unit.hierarchy
        params["period_type"] = changes.get("period_type", self.period_type.value)
        params["period"] = str(changes.get("period", self.period))
        return params


def _scope(actor: Actor) -> int | None:
    return actor.scope_unit_id if actor.is_authenticated else None


def _name(indicator: IndicatorOut, locale: str) -> str:
    return indicator.name_vi if locale == "vi" else indicator.name_en


def _measure(indicator: IndicatorOut, locale: str) -> str:
    return indicator.measure_unit_vi if locale == "vi" else indicator.measure_unit_en


def _default_unit(request: Request, db: Any, actor: Actor) -> UnitOut:
    """The home province, or the visitor's own unit when the home province is outside it."""
    home = units.get_unit(db=db, code=get_settings(request).home_province, hierarchy=CURRENT)
    scope = _scope(actor)
    if scope is None or units.is_within(db=db, unit_id=home.id, scope_unit_id=scope):
        return home
    return units.get_unit_by_id(db=db, unit_id=scope)


def _types(indicator: IndicatorOut) -> tuple[PeriodType, ...]:
    return TYPES[FIRST_TYPE.get(indicator.cadence, 0) :]


def _chosen_type(indicator: IndicatorOut, text: str | None) -> PeriodType:
    allowed = _types(indicator)
    try:
        kind = PeriodType(text) if text else allowed[0]
    except ValueError:
        return allowed[0]
    return kind if kind in allowed else allowed[0]


def _chosen_period(text: str | None, kind: PeriodType) -> Period | None:
    """The asked period when it is of the chosen type and not in the future."""
    if not text:
        return None
    try:
        period = parse(text)
    except PeriodError:
        return None
    if period.type is not kind or period.start > units.today():
        return None
    return period


def _short_label(period: Period) -> str:
    """Axis labels: ``07/2026``, ``Q3/2026``, ``2026`` (the long form is in the picker)."""
    if period.type is PeriodType.MONTH:
        return f"{period.number:02d}/{period.year}"
    if period.type is PeriodType.QUARTER:
        return f"Q{period.number}/{period.year}"
    return str(period.year)


# --- the pieces of the page --------------------------------------------------------------------


def _series(db: Any, actor: Actor, sel: Selection, locale: str) -> dict[Period, PointOut]:
    """The chart's points, and a year more before them for the "last year" line."""
    start = sel.first.shift(-PER_YEAR[sel.period_type])
    found = service.series(
        db=db,
        actor=actor,
        code=sel.indicator.code,
        unit=sel.unit.code,
        period_type=sel.period_type.value,
        start=str(start),
        end=str(sel.last),
        hierarchy=sel.unit.hierarchy,
        locale=locale,
    )
    return {parse(p.period): p for p in found.points}


def _targets_by_period(
    sel: Selection, targets: Sequence[TargetOut], periods: Sequence[Period]
) -> list[float | None] | None:
    """The plan line: phased months for months, the annual plan for years, and the annual
    plan on every period of its year for levels and rates (a plan for CPI holds all year).
    Flows without phasing get no line: a monthly value is not comparable to a year's plan."""
    annual = {t.year: t.value for t in targets if t.month == 0}
    monthly = {(t.year, t.month): t.value for t in targets if t.month}
    if not annual and not monthly:
        return None
    level = sel.indicator.agg_time != "sum"
    line: list[float | None] = []
    for period in periods:
        if period.type is PeriodType.YEAR:
            line.append(annual.get(period.year))
        elif period.type is PeriodType.MONTH and (period.year, period.number) in monthly:
            line.append(monthly[(period.year, period.number)])
        elif level:
            line.append(annual.get(period.year))
        else:
            line.append(None)
    return line if any(v is not None for v in line) else None


def _chart(
    sel: Selection, points: dict[Period, PointOut], targets: Sequence[TargetOut], locale: str
) -> dict[str, Any]:
    back = PER_YEAR[sel.period_type]
    periods = _range(sel.first, sel.last)
    # start where the data starts (a series begun in 2021 has nothing to show in 2019)
    while (
        len(periods) > 1 and periods[0] < sel.period and _value_of(points.get(periods[0])) is None
    ):
        periods.pop(0)
    values = [_value_of(points.get(p)) for p in periods]
    # for years, last year's value is simply the previous bar: no second line
    last_year = (
        [_value_of(points.get(p.shift(-back))) for p in periods]
        if sel.period_type is not PeriodType.YEAR
        else None
    )
    return {
        "kind": "bar" if sel.indicator.agg_time == "sum" else "line",
        "locale": locale,
        "decimals": sel.indicator.decimals,
        "measure": _measure(sel.indicator, locale),
        "labels": [_short_label(p) for p in periods],
        "periods": [str(p) for p in periods],
        "values": values,
        "remapped": [bool(points.get(p) and points[p].remapped) for p in periods],
        "last_year": last_year,
        "target": _targets_by_period(sel, targets, periods),
        "names": {
            **{key: gettext(text, locale) for key, text in CHART_NAMES.items()},
            "remapped": gettext(REMAPPED[sel.unit.hierarchy][0], locale),
        },
        "selected": periods.index(sel.period) if sel.period in periods else None,
        "empty": gettext(N_("No data for this unit yet"), locale),
    }


def _value_of(point: PointOut | None) -> float | None:
    return point.value if point is not None and isinstance(point.value, float | int) else None


def _range(first: Period, last: Period) -> list[Period]:
    out, current = [], first
    while current <= last:
        out.append(current)
        current = current.next()
    return out


def _target(found: ValueOut, locale: str) -> dict[str, Any] | None:
    progress = found.progress
    if progress is None or progress.target is None:
        return None
    basis = ""
    if progress.target_to_date is not None and progress.progress_to_date is not None:
        basis = gettext(N_("%(share)s %% of the phased plan to date"), locale) % {
            "share": format_number(progress.progress_to_date * 100, locale, 1)
        }
    return {
        "value": progress.target,
        "progress": progress.progress * 100 if progress.progress is not None else None,
        "projection": progress.projection,
        "status": TARGET_COLOURS.get(progress.colour, "none"),
        "label": progress.status_text,
        "basis": basis,
    }


def _freshness(
    request: Request, db: Any, actor: Actor, sel: Selection, locale: str
) -> dict[str, Any] | None:
    """Supply on today's map: the unit's status and, for an indicator reported below it,
    the units that have not reported the expected period."""
    if sel.indicator.formula or sel.unit.hierarchy != units.hierarchy_for(units.today()):
        return None
    calendar = request.app.state.workdays
    own = service.freshness(
        db=db,
        actor=actor,
        code=sel.indicator.code,
        calendar=calendar,
        unit=sel.unit.code,
        locale=locale,
    )
    if not own.items:
        return None
    row = own.items[0]
    late: list[str] = []
    level = sel.indicator.report_level
    if ADMIN_LEVELS.index(level) > ADMIN_LEVELS.index(_admin_level(sel.unit)):
        below = service.freshness(
            db=db,
            actor=actor,
            code=sel.indicator.code,
            calendar=calendar,
            parent=sel.unit.code,
            level=level,
            limit=MAX_CHILDREN,
            locale=locale,
        )
        late = [r.unit.name for r in below.items if r.status in ("late", "missing")]
    expected = parse(row.expected_period)
    text = gettext(N_("Expected: %(period)s, due %(deadline)s."), locale) % {
        "period": label(expected, locale),
        "deadline": format_date(row.deadline, locale),
    }
    until = row.data_until_text
    return {
        "status": row.status,
        "label": row.status_text,
        "text": f"{until[:1].upper()}{until[1:]}. {text}",
        "late": late,
    }


def _admin_level(unit: UnitOut) -> str:
    return unit.level if unit.level in ADMIN_LEVELS else "province"


def _children(db: Any, unit: UnitOut, report_level: str) -> list[UnitOut]:
    """The administrative units under ``unit`` that can have a value: none when the
    indicator is reported at the unit's level or above (a provincial GRDP has no
    commune values)."""
    if ADMIN_LEVELS.index(report_level) <= ADMIN_LEVELS.index(_admin_level(unit)):
        return []
    found, _total = units.children(db=db, unit_id=unit.id, limit=MAX_CHILDREN)
    return [u for u in found if u.level in ADMIN_LEVELS]


def _rows(
    db: Any, actor: Actor, sel: Selection, children: list[UnitOut], locale: str
) -> list[dict[str, Any]]:
    """The units below, for the period and the same period last year."""
    if not children:
        return []
    code = sel.indicator.code

    def section(period: Period) -> dict[str, Any]:
        found = service.cross_section(
            db=db,
            actor=actor,
            period=str(period),
            indicators=[code],
            parent=sel.unit.code,
            hierarchy=sel.unit.hierarchy,
            limit=MAX_CHILDREN,
            locale=locale,
        )
        return {row.unit.code: row.values.get(code) for row in found.items}

    now = section(sel.period)
    before = section(sel.period.shift(-PER_YEAR[sel.period_type]))
    native = sel.period_type is STORED_TYPES.get(sel.indicator.cadence)
    rows = []
    for child in children:
        cell, old = now.get(child.code), before.get(child.code)
        value = cell.value if cell is not None else None
        previous = old.value if old is not None else None
        change = (
            (value - previous) / abs(previous) * 100
            if isinstance(value, float | int) and isinstance(previous, float | int) and previous
            else None
        )
        rows.append(
            {
                "unit": child,
                "value": value,
                "remapped": bool(cell and cell.remapped),
                "reported": cell.coverage.reported if cell else 0,
                "expected": cell.coverage.expected if cell and cell.coverage.expected > 1 else None,
                "last_year": previous,
                "change": change,
                "trend": _trend(change, sel.indicator.direction),
                "history_url": _history_url(sel, child) if native and _is_stored(cell) else None,
            }
        )
    return rows


def _is_stored(cell: CellOut | None) -> bool:
    """Whether the cell is one observation of its own unit, the only kind with revisions
    (aggregates and values carried across the 2025 reform have none of their own)."""
    return (
        cell is not None and cell.kind == "stored" and not cell.remapped and cell.value is not None
    )


def _history_url(sel: Selection, unit: UnitOut) -> str:
    """The revision history of ``unit``'s value for the selected period."""
    params = {"unit": unit.code, "hierarchy": unit.hierarchy, "period": str(sel.period)}
    return f"/indicators/{sel.indicator.code}/revisions?{urlencode(params)}"


def _trend(change: float | None, direction: str) -> str:
    """``up`` (good) or ``down`` (bad) for colouring a change, by the indicator's direction."""
    if change is None or direction == "none" or change == 0:
        return ""
    good = change > 0 if direction == "up" else change < 0
    return "up" if good else "down"


def _unit_options(
    db: Any, unit: UnitOut, crumbs: list[UnitOut], report_level: str
) -> list[dict[str, str]]:
    """The province (top of the breadcrumbs below the nation) and every unit under it that
    reports, indented, so the visitor can move between communes in one step."""
    top = crumbs[0] if crumbs else unit
    options = [{"code": top.code, "label": top.name}]
    for child in _children(db, top, report_level):
        options.append({"code": child.code, "label": "— " + child.name})
    if all(o["code"] != unit.code for o in options):
        options.append({"code": unit.code, "label": "— " + unit.name})
    return options


def _formula_text(db: Any, indicator: IndicatorOut, locale: str) -> str:
    if not indicator.formula:
        return ""
    try:
        codes = expressions.parse(indicator.formula).references()
        found = service.indicators_by_code(db=db, codes=[ref.code for ref in codes])
        names = {code: _name(item, locale) for code, item in found.items()}
        return expressions.describe(indicator.formula, names, locale=locale)
    except expressions.ExpressionError:
        return indicator.formula


def _calendar_note(indicator: IndicatorOut, period: Period, locale: str) -> str:
    if indicator.cadence != "decree09_month":
        return ""
    first, last = reporting_window(period, "decree09")
    return gettext(
        N_("Decree 09/2019 reporting period: %(period)s covers %(first)s to %(last)s."), locale
    ) % {
        "period": label(period, locale),
        "first": format_date(first, locale),
        "last": format_date(last, locale),
    }


def _exports(sel: Selection) -> dict[str, str]:
    params = {
        "indicators": sel.indicator.code,
        "unit": sel.unit.code,
        "period_type": sel.period_type.value,
        "from": str(sel.first),
        "to": str(sel.last),
    }
    if sel.unit.hierarchy == LEGACY:
        params["as_of"] = (REFORM_DATE - timedelta(days=1)).isoformat()
    query = urlencode(params)
    return {
        "csv": f"/api/v1/indicators/export.csv?{query}",
        "xlsx": f"/api/v1/indicators/export.xlsx?{query}",
    }


def _recorded(text: str, locale: str) -> str:
    """An observation's recording time (ISO 8601 in the API) as people read it."""
    try:
        return format_datetime(datetime.fromisoformat(text), locale)
    except ValueError:
        return text
