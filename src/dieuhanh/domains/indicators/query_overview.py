"""A unit's overview: every active indicator at a glance — the "province overview" the
dashboards and the leaders' page read.

For a requested period (``2026-09``) each indicator is shown at the latest period of its own
cadence that ends by the end of the requested one (September for a monthly indicator,
Q3 for a quarterly one, 2025 for a yearly one), with its year to date, the change on the
same period last year, progress toward the unit's plan (projection and status) and its
freshness today. Indicators sharing a period are computed together: one engine call per
distinct period, one plan read per year, one freshness pass for all.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from sqlalchemy.orm import Session

from dieuhanh.core.periods import Period, PeriodType
from dieuhanh.core.security import Actor
from dieuhanh.core.workdays import WorkCalendar
from dieuhanh.domains.indicators.catalog import list_indicators, require_action
from dieuhanh.domains.indicators.formulas import compute
from dieuhanh.domains.indicators.freshness import assess, expectation, recent_periods
from dieuhanh.domains.indicators.query import (
    READ,
    parse_disagg,
    progress_of,
    resolve_hierarchy,
    resolve_unit,
    value_wants,
)
from dieuhanh.domains.indicators.query_grid import Cell, Request, Want
from dieuhanh.domains.indicators.query_out import cell_out, change_out, indicator_ref, unit_ref
from dieuhanh.domains.indicators.query_time import (
    cadence_type,
    parse_period,
    same_period_last_year,
    window_text,
)
from dieuhanh.domains.indicators.schemas import IndicatorOut
from dieuhanh.domains.indicators.schemas_query import OverviewItem, OverviewOut
from dieuhanh.domains.indicators.targets import Plan, load_plans
from dieuhanh.domains.units import service as units

MAX_CATALOG = 1000


def period_for(indicator: IndicatorOut, requested: Period) -> Period:
    """The latest period of the indicator's cadence that ends by the end of ``requested``."""
    kind = cadence_type(indicator.cadence)
    found = Period.containing(kind, requested.end)
    return found if found.end <= requested.end else found.previous()


def overview(
    *,
    db: Session,
    actor: Actor,
    unit: str,
    period: str,
    calendar: WorkCalendar,
    component: str | None = None,
    codes: Sequence[str] | None = None,
    as_of: date | None = None,
    hierarchy: str | None = None,
    disagg: str | None = None,
    today: date | None = None,
    locale: str = "vi",
) -> OverviewOut:
    """Every active indicator (of ``component``, or the ``codes`` given) for one unit (see
    the module)."""
    require_action(actor, READ)
    requested = parse_period(period)
    version = resolve_hierarchy(as_of, hierarchy)
    target = resolve_unit(db, actor, unit, version)
    breakdown = parse_disagg(disagg)
    indicators, _ = list_indicators(db=db, component=component, limit=MAX_CATALOG)
    if codes is not None:
        # a dashboard's tiles: these indicators, in this order (unknown codes are left out)
        by_code = {i.code: i for i in indicators}
        indicators = [by_code[c] for c in dict.fromkeys(codes) if c in by_code]
    by_period: dict[Period, list[IndicatorOut]] = defaultdict(list)
    for indicator in indicators:
        by_period[period_for(indicator, requested)].append(indicator)
    day = today or units.today()
    on_todays_map = version == units.hierarchy_for(day)
    cells: dict[tuple[str, int, Want], Cell] = {}
    plans: dict[int, Plan] = {}
    for when, members in by_period.items():
        # one engine call per period: the values, their plan inputs and the freshness periods
        wanted = [w for i in members for w in value_wants(i, when, brief=True)]
        if on_todays_map:
            for indicator in members:
                expected = expectation(indicator, day, calendar)
                wanted += [Want(p) for p in recent_periods(indicator, expected, day)]
        wants = tuple(dict.fromkeys(wanted))
        cells.update(compute(db, members, Request(version, (target,), wants, breakdown)))
        plans.update(
            load_plans(db, indicator_ids=[i.id for i in members], unit_id=target.id, year=when.year)
        )
    fresh = (
        assess(
            db,
            indicators=indicators,
            targets=[target],
            hierarchy=version,
            today=day,
            calendar=calendar,
            disagg=breakdown,
            known=cells,
        )
        if on_todays_map
        else {}
    )
    items: list[OverviewItem] = []
    for when, members in by_period.items():
        last = same_period_last_year(when)
        for indicator in members:

            def cell(want: Want, code: str = indicator.code) -> Cell:
                return cells[(code, target.id, want)]

            has_ytd = when.type is not PeriodType.YEAR
            state = fresh.get((indicator.code, target.id))
            items.append(
                OverviewItem(
                    indicator=indicator_ref(indicator, locale),
                    period=str(when),
                    label=window_text(indicator.cadence, when, locale),
                    cell=cell_out(cell(Want(when)), locale, unit=target),
                    ytd=cell_out(cell(Want(when, True)), locale, unit=target) if has_ytd else None,
                    change=change_out(last, cell(Want(when)).value, cell(Want(last)).value),
                    progress=progress_of(indicator, target, when, cells, plans, locale),
                    freshness=state.status if state else "missing",
                    data_until=state.data_until if state else None,
                )
            )
    order = {i.code: n for n, i in enumerate(indicators)}
    items.sort(key=lambda item: order[item.indicator.code])
    return OverviewOut(unit=unit_ref(target), period=str(requested), hierarchy=version, items=items)
