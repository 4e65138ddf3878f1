"""The query service: series, cross-sections, tables, one value with its plan, explanations,
freshness and a unit's overview — what the API, the pages and the dashboards read.

Every function checks ``indicators.read`` and the actor's scope (a unit outside it is
``out_of_scope``; a parent's units are inside it), resolves codes (indicator, unit, period)
and states the hierarchy it reads (``as_of``: before 2025-07-01 the legacy map, from then
the 2025 map; default today). The numbers come from the engine:

* :mod:`.query_grid` — stored values, roll-ups across units and time, coverage;
* :mod:`.remap` — the 2025 reform: successions between the two maps;
* :mod:`.formulas` — derived indicators; :mod:`.query_explain` — derivation trees;
* :mod:`.targets` — progress, projection and status; :mod:`.freshness` — supply deadlines.

A value is ``None`` when nothing was reported, never 0, and what was written is visible to
the next query: there is no cache or batch rebuild in between.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy.orm import Session

from dieuhanh.core.errors import ProblemError
from dieuhanh.core.expressions import ExpressionError, canonical_disagg
from dieuhanh.core.i18n import format_date, gettext
from dieuhanh.core.periods import Period, PeriodType
from dieuhanh.core.security import Actor
from dieuhanh.core.workdays import WorkCalendar
from dieuhanh.domains.indicators.catalog import (
    get_indicator,
    indicators_by_code,
    list_indicators,
    require_action,
)
from dieuhanh.domains.indicators.formulas import compute
from dieuhanh.domains.indicators.freshness import (
    DATA_UNTIL,
    NO_DATA_YET,
    STATUS_TEXT,
    Freshness,
    assess,
)
from dieuhanh.domains.indicators.query_explain import explain_value
from dieuhanh.domains.indicators.query_grid import Cell, Request, Want
from dieuhanh.domains.indicators.query_out import (
    cell_out,
    change_out,
    coverage_out,
    indicator_ref,
    point_out,
    unit_ref,
)
from dieuhanh.domains.indicators.query_time import (
    cadence_type,
    children_for,
    parse_period,
    period_range,
    period_type,
    same_period_last_year,
    window_text,
)
from dieuhanh.domains.indicators.remap import LEVEL_RANK
from dieuhanh.domains.indicators.schemas import IndicatorOut
from dieuhanh.domains.indicators.schemas_query import (
    CrossSectionOut,
    CrossSectionRow,
    ExplainOut,
    FreshnessOut,
    FreshnessRow,
    ProgressOut,
    SeriesOut,
    TableOut,
    TableRow,
    ValueOut,
)
from dieuhanh.domains.indicators.targets import Actuals, Plan, load_plans
from dieuhanh.domains.indicators.targets import assess as assess_target
from dieuhanh.domains.units import service as units
from dieuhanh.domains.units.schemas import UnitOut

READ = "indicators.read"
MAX_POINTS = 400
MAX_UNITS = 5000
MAX_INDICATORS = 100
DEFAULT_POINTS = 12


# --- resolving the request --------------------------------------------------------------------


def resolve_hierarchy(as_of: date | None, hierarchy: str | None) -> str:
    return units.resolve_hierarchy(as_of, hierarchy)


def resolve_unit(db: Session, actor: Actor, code: str, hierarchy: str) -> UnitOut:
    return units.get_unit(db=db, code=code, hierarchy=hierarchy, scope_unit_id=actor.scope_unit_id)


def parse_disagg(text: str | None) -> str:
    if not text:
        return ""
    try:
        return canonical_disagg(text)
    except ExpressionError as exc:
        raise ProblemError(
            "validation_error",
            errors=[{"location": ["query", "disagg"], "message": str(exc)}],
        ) from None


def _members(
    db: Session, actor: Actor, parent: UnitOut, level: str | None, hierarchy: str
) -> list[UnitOut]:
    """The units of a parent: its direct administrative children, or every unit of
    ``level`` inside it (already inside the actor's scope, since the parent is)."""
    if level is None:
        found, _ = units.children(db=db, unit_id=parent.id)
        return [u for u in found if u.level in LEVEL_RANK]
    found, _ = units.search_units(
        db=db, level=level, hierarchy=hierarchy, scope_unit_id=parent.id, limit=MAX_UNITS + 1
    )
    members = [u for u in found if u.id != parent.id]
    if len(members) > MAX_UNITS:
        raise ProblemError("payload_too_large", detail=f"more than {MAX_UNITS} units")
    return members


def _periods(
    indicator: IndicatorOut, kind_text: str | None, start: str | None, end: str | None
) -> list[Period]:
    """The periods of a series: ``from``/``to`` (of any type, widened to whole periods of
    the series' type), by default the last twelve that have ended."""
    first = parse_period(start) if start else None
    last = parse_period(end) if end else None
    if kind_text:
        kind = period_type(kind_text)
    elif first is not None or last is not None:
        kind = (first or last).type  # type: ignore[union-attr]
    else:
        kind = cadence_type(indicator.cadence)
    hi = (
        Period.containing(kind, last.end)
        if last
        else Period.containing(kind, units.today()).previous()
    )
    lo = Period.containing(kind, first.start) if first else hi.shift(-(DEFAULT_POINTS - 1))
    return period_range(lo, hi, limit=MAX_POINTS)


def _page(items: list[UnitOut], limit: int, offset: int) -> list[UnitOut]:
    return items[offset : offset + limit]


# --- series, cross-sections, tables -------------------------------------------------------------


def series(
    *,
    db: Session,
    actor: Actor,
    code: str,
    unit: str,
    period_type: str | None = None,
    start: str | None = None,
    end: str | None = None,
    as_of: date | None = None,
    hierarchy: str | None = None,
    disagg: str | None = None,
    ytd: bool = False,
    locale: str = "vi",
) -> SeriesOut:
    """One indicator for one unit over time: one point per period, ``value`` null where
    nothing was reported, each with coverage, status and whether it was re-mapped."""
    require_action(actor, READ)
    indicator = get_indicator(db=db, code=code)
    version = resolve_hierarchy(as_of, hierarchy)
    target = resolve_unit(db, actor, unit, version)
    periods = _periods(indicator, period_type, start, end)
    breakdown = parse_disagg(disagg)
    cells = compute(
        db, [indicator], Request.of(version, [target], periods, disagg=breakdown, ytd=ytd)
    )
    points = [
        point_out(cells[(indicator.code, target.id, Want(p, ytd))], p, indicator, locale, target)
        for p in periods
    ]
    return SeriesOut(
        indicator=indicator_ref(indicator, locale),
        unit=unit_ref(target),
        hierarchy=version,
        period_type=periods[0].type.value,
        disagg=breakdown,
        ytd=ytd,
        points=points,
    )


def series_many(
    *,
    db: Session,
    actor: Actor,
    codes: Sequence[str],
    unit: str,
    period_type: str,
    start: str,
    end: str,
    hierarchy: str | None = None,
    ytd: bool = False,
    locale: str = "vi",
) -> dict[str, SeriesOut]:
    """Several indicators over the same periods for one unit, in one engine call (a
    dashboard's sparklines); the same points :func:`series` gives one by one."""
    require_action(actor, READ)
    found = _indicator_list(db, codes)
    if not found:
        return {}
    version = resolve_hierarchy(None, hierarchy)
    target = resolve_unit(db, actor, unit, version)
    periods = _periods(found[0], period_type, start, end)
    cells = compute(db, found, Request.of(version, [target], periods, ytd=ytd))
    return {
        indicator.code: SeriesOut(
            indicator=indicator_ref(indicator, locale),
            unit=unit_ref(target),
            hierarchy=version,
            period_type=periods[0].type.value,
            disagg="",
            ytd=ytd,
            points=[
                point_out(
                    cells[(indicator.code, target.id, Want(p, ytd))], p, indicator, locale, target
                )
                for p in periods
            ],
        )
        for indicator in found
    }


def cross_section(
    *,
    db: Session,
    actor: Actor,
    period: str,
    indicators: Sequence[str],
    parent: str | None = None,
    level: str | None = None,
    as_of: date | None = None,
    hierarchy: str | None = None,
    disagg: str | None = None,
    ytd: bool = False,
    limit: int = 100,
    offset: int = 0,
    locale: str = "vi",
    with_total: bool = True,
) -> CrossSectionOut:
    """Units × indicators for one period: the parent's units (its children, or every unit
    of ``level`` inside it) with the parent's own row as ``total_row`` (unless
    ``with_total`` is off: a ranking needs only the units, and a weighted average's total
    costs the weights of every unit)."""
    require_action(actor, READ)
    when = parse_period(period)
    found = _indicator_list(db, indicators)
    version = resolve_hierarchy(as_of, hierarchy)
    top = resolve_unit(db, actor, parent, version) if parent else _scope_root(db, actor, version)
    members = _members(db, actor, top, level, version)
    page = _page(members, limit, offset)
    targets = [top, *page] if with_total else page
    request = Request.of(version, targets, [when], disagg=parse_disagg(disagg), ytd=ytd)
    cells = compute(db, found, request)
    want = Want(when, ytd)

    def row(unit: UnitOut) -> CrossSectionRow:
        return CrossSectionRow(
            unit=unit_ref(unit),
            values={
                i.code: cell_out(cells[(i.code, unit.id, want)], locale, unit=unit) for i in found
            },
        )

    return CrossSectionOut(
        items=[row(u) for u in page],
        total=len(members),
        limit=limit,
        offset=offset,
        period=str(when),
        label=window_text(found[0].cadence, when, locale) if found else str(when),
        hierarchy=version,
        indicators=[indicator_ref(i, locale) for i in found],
        parent=unit_ref(top),
        total_row=row(top) if with_total else None,
    )


def query_table(
    *,
    db: Session,
    actor: Actor,
    code: str,
    parent: str | None = None,
    level: str | None = None,
    period_type: str | None = None,
    start: str | None = None,
    end: str | None = None,
    as_of: date | None = None,
    hierarchy: str | None = None,
    disagg: str | None = None,
    ytd: bool = False,
    limit: int = 100,
    offset: int = 0,
    locale: str = "vi",
) -> TableOut:
    """One indicator, units × periods: a row per unit of the parent, and the parent's row."""
    require_action(actor, READ)
    indicator = get_indicator(db=db, code=code)
    version = resolve_hierarchy(as_of, hierarchy)
    top = resolve_unit(db, actor, parent, version) if parent else _scope_root(db, actor, version)
    periods = _periods(indicator, period_type, start, end)
    members = _members(db, actor, top, level, version)
    page = _page(members, limit, offset)
    request = Request.of(version, [top, *page], periods, disagg=parse_disagg(disagg), ytd=ytd)
    cells = compute(db, [indicator], request)

    def row(unit: UnitOut) -> TableRow:
        return TableRow(
            unit=unit_ref(unit),
            values=[
                cell_out(cells[(indicator.code, unit.id, Want(p, ytd))], locale, unit=unit)
                for p in periods
            ],
        )

    return TableOut(
        items=[row(u) for u in page],
        total=len(members),
        limit=limit,
        offset=offset,
        indicator=indicator_ref(indicator, locale),
        hierarchy=version,
        periods=[str(p) for p in periods],
        labels=[window_text(indicator.cadence, p, locale) for p in periods],
        parent=unit_ref(top),
        total_row=row(top),
    )


def _indicator_list(db: Session, codes: Sequence[str]) -> list[IndicatorOut]:
    wanted = list(dict.fromkeys(c.strip() for c in codes if c.strip()))
    if not wanted:
        raise ProblemError(
            "validation_error",
            errors=[{"location": ["query", "indicators"], "message": "name an indicator"}],
        )
    if len(wanted) > MAX_INDICATORS:
        raise ProblemError("payload_too_large", detail=f"more than {MAX_INDICATORS} indicators")
    found = indicators_by_code(db=db, codes=wanted)
    missing = [c for c in wanted if c not in found]
    if missing:
        raise ProblemError("indicator_not_found", detail=f"no indicator {missing[0]!r}")
    return [found[c] for c in wanted]


def _scope_root(db: Session, actor: Actor, hierarchy: str) -> UnitOut:
    """Without a parent: the actor's scope unit, or the nation for installation-wide users."""
    if actor.scope_unit_id is not None:
        return units.get_unit_by_id(db=db, unit_id=actor.scope_unit_id)
    return units.get_unit(db=db, code="VN", hierarchy=hierarchy)


# --- one value: YTD, change, plan -----------------------------------------------------------


def value_wants(indicator: IndicatorOut, when: Period, *, brief: bool = False) -> list[Want]:
    """What a value with its plan needs: the period and its year to date, the same two a
    year earlier, and last year's whole year (for the seasonal projection of a flow).
    ``brief`` (the overview) leaves out what it does not show: last year's year to date and
    whole year unless the projection of a flow needs them."""
    last = same_period_last_year(when)
    wants = [Want(when), Want(last)]
    if when.type is not PeriodType.YEAR:
        wants.append(Want(when, True))
    if brief and indicator.agg_time != "sum":
        return wants
    wants.append(Want(Period.for_year(when.year - 1)))
    if when.type is not PeriodType.YEAR:
        wants.append(Want(last, True))
    return wants


def progress_of(
    indicator: IndicatorOut,
    target: UnitOut,
    when: Period,
    cells: dict[tuple[str, int, Want], Cell],
    plans: dict[int, Plan],
    locale: str,
) -> ProgressOut:
    def value(want: Want) -> float | None:
        cell = cells.get((indicator.code, target.id, want))
        return cell.value if cell is not None else None

    last = same_period_last_year(when)
    ytd = when.type is not PeriodType.YEAR
    kind = cadence_type(indicator.cadence)
    source = kind if kind.rank <= when.type.rank else when.type
    year = Period.for_year(when.year)
    actuals = Actuals(
        to_date=value(Want(when, ytd)),
        last_year_to_date=value(Want(last, ytd)),
        last_year_full=value(Want(Period.for_year(when.year - 1))),
        elapsed=len(children_for(when, source, ytd=True)),
        in_year=len(children_for(year, source)),
    )
    plan = plans.get(indicator.id)
    return assess_target(indicator, when, actuals, plan, locale)


def query_value(
    *,
    db: Session,
    actor: Actor,
    code: str,
    unit: str,
    period: str,
    as_of: date | None = None,
    hierarchy: str | None = None,
    disagg: str | None = None,
    locale: str = "vi",
) -> ValueOut:
    """One value with its year to date, the change on the same period last year, and the
    progress toward the unit's plan for the year (projection and status)."""
    require_action(actor, READ)
    indicator = get_indicator(db=db, code=code)
    when = parse_period(period)
    version = resolve_hierarchy(as_of, hierarchy)
    target = resolve_unit(db, actor, unit, version)
    wants = value_wants(indicator, when)
    request = Request(version, (target,), tuple(wants), parse_disagg(disagg))
    cells = compute(db, [indicator], request)
    plans = load_plans(db, indicator_ids=[indicator.id], unit_id=target.id, year=when.year)
    last = same_period_last_year(when)

    def cell(want: Want) -> Cell:
        return cells[(indicator.code, target.id, want)]

    has_ytd = when.type is not PeriodType.YEAR
    return ValueOut(
        indicator=indicator_ref(indicator, locale),
        unit=unit_ref(target),
        period=str(when),
        label=window_text(indicator.cadence, when, locale),
        hierarchy=version,
        cell=cell_out(cell(Want(when)), locale, unit=target),
        ytd=cell_out(cell(Want(when, True)), locale, unit=target) if has_ytd else None,
        change=change_out(last, cell(Want(when)).value, cell(Want(last)).value),
        change_ytd=(
            change_out(last, cell(Want(when, True)).value, cell(Want(last, True)).value)
            if has_ytd
            else None
        ),
        progress=progress_of(indicator, target, when, cells, plans, locale),
    )


# --- explain, freshness, overview ------------------------------------------------------------


def explain(
    *,
    db: Session,
    actor: Actor,
    code: str,
    unit: str,
    period: str,
    as_of: date | None = None,
    hierarchy: str | None = None,
    disagg: str | None = None,
    ytd: bool = False,
    locale: str = "vi",
) -> ExplainOut:
    """The derivation tree of one value: formula steps, aggregation over units and time,
    re-mapping across the 2025 reform, and every stored observation with its provenance."""
    require_action(actor, READ)
    indicator = get_indicator(db=db, code=code)
    when = parse_period(period)
    version = resolve_hierarchy(as_of, hierarchy)
    target = resolve_unit(db, actor, unit, version)
    tree = explain_value(
        db,
        indicator=indicator,
        target=target,
        period=when,
        hierarchy=version,
        disagg=parse_disagg(disagg),
        ytd=ytd,
        locale=locale,
    )
    root_value = tree.value if not isinstance(tree.value, bool) else None
    return ExplainOut(
        indicator=indicator_ref(indicator, locale),
        unit=unit_ref(target),
        period=str(when),
        hierarchy=version,
        value=root_value,
        tree=tree,
    )


def freshness(
    *,
    db: Session,
    actor: Actor,
    code: str,
    calendar: WorkCalendar,
    parent: str | None = None,
    level: str | None = None,
    unit: str | None = None,
    today: date | None = None,
    limit: int = 100,
    offset: int = 0,
    locale: str = "vi",
) -> FreshnessOut:
    """Per unit: has the latest expected period arrived by its deadline (on today's map)?
    ``unit`` names one unit; else the units of ``parent`` (by ``level``)."""
    require_action(actor, READ)
    indicator = get_indicator(db=db, code=code)
    day = today or units.today()
    version = units.hierarchy_for(day)
    if unit:
        members = [resolve_unit(db, actor, unit, version)]
    else:
        top = (
            resolve_unit(db, actor, parent, version) if parent else _scope_root(db, actor, version)
        )
        members = _members(db, actor, top, level, version)
    page = _page(members, limit, offset)
    found = assess(
        db,
        indicators=[indicator],
        targets=page,
        hierarchy=version,
        today=day,
        calendar=calendar,
    )
    rows = [freshness_row(u, found[(indicator.code, u.id)], locale) for u in page]
    return FreshnessOut(
        items=rows,
        total=len(members),
        limit=limit,
        offset=offset,
        indicator=indicator_ref(indicator, locale),
        as_of=day,
    )


def freshness_row(unit: UnitOut, state: Freshness, locale: str) -> FreshnessRow:
    until = state.data_until
    text = (
        gettext(DATA_UNTIL, locale) % {"date": format_date(until, locale)}
        if until
        else gettext(NO_DATA_YET, locale)
    )
    return FreshnessRow(
        unit=unit_ref(unit),
        status=state.status,
        status_text=gettext(STATUS_TEXT[state.status], locale),
        expected_period=str(state.expectation.period),
        deadline=state.expectation.deadline,
        data_until=until,
        data_until_text=text,
        coverage=coverage_out(state.cell.coverage, locale, own_level=unit.level),
    )


def freshness_summary(
    *,
    db: Session,
    actor: Actor,
    unit: str,
    calendar: WorkCalendar,
    component: str | None = None,
    today: date | None = None,
) -> dict[str, int]:
    """How many active indicators of a unit are fresh, late or missing on today's map (a
    dashboard counter; the values themselves are not computed, only their recent periods)."""
    require_action(actor, READ)
    day = today or units.today()
    version = units.hierarchy_for(day)
    target = resolve_unit(db, actor, unit, version)
    found, _ = list_indicators(db=db, component=component, limit=1000)
    states = assess(
        db, indicators=found, targets=[target], hierarchy=version, today=day, calendar=calendar
    )
    counts = {"fresh": 0, "late": 0, "missing": 0}
    for state in states.values():
        counts[state.status] = counts.get(state.status, 0) + 1
    return counts
