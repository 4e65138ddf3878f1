"""Freshness: per indicator and unit, has the latest expected period arrived by its deadline?

* The **expected period** is the latest period of the indicator's cadence that has ended by
  today (Vietnam's date); for a Decree-09 cadence a month "ends" on the 14th, the close of
  its reporting window.
* Its **deadline** is ``deadline_workdays`` working days after that end, counted on the
  province's working calendar (``core.workdays``: holidays, swapped Saturdays, local days
  off); the value is due by the end of that day.
* **Status**: ``fresh`` — the expected period has arrived; ``late`` — its deadline (or the
  previous period's) has passed without it; ``pending`` — not due yet and the previous
  period is in (or not yet due either); ``missing`` — the unit has never had a value.
  For a unit whose value is an aggregate, "arrived" means every expected reporting unit has
  reported; the coverage says how many have.
* **Data until** ("số liệu đến ngày …"): the last day of the latest period present.

This feeds the data-supply league table, which ranks suppliers by it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from dieuhanh.core.i18n import N_
from dieuhanh.core.periods import Period, PeriodType
from dieuhanh.core.reporting_periods import reporting_period_of
from dieuhanh.core.workdays import WorkCalendar
from dieuhanh.domains.indicators.formulas import compute
from dieuhanh.domains.indicators.query_grid import Cell, Request, Want
from dieuhanh.domains.indicators.query_latest import latest_present
from dieuhanh.domains.indicators.query_time import (
    cadence_type,
    is_decree09,
    source_type,
    stored_types_many,
    window,
)
from dieuhanh.domains.indicators.remap import plan_units
from dieuhanh.domains.indicators.schemas import IndicatorOut
from dieuhanh.domains.units.schemas import UnitOut

DATA_UNTIL = N_("data up to %(date)s")
NO_DATA_YET = N_("no data yet")
STATUS_TEXT = {
    "fresh": N_("up to date"),
    "late": N_("late"),
    "pending": N_("not due yet"),
    "missing": N_("no data"),
}


@dataclass(frozen=True)
class Expectation:
    """The latest period that should be in, the one before it, and their deadlines."""

    period: Period
    deadline: date
    previous: Period
    previous_deadline: date


@dataclass(frozen=True)
class Freshness:
    status: str
    expectation: Expectation
    data_until: date | None
    cell: Cell


def deadline(indicator: IndicatorOut, period: Period, calendar: WorkCalendar) -> date:
    _first, last = window(indicator.cadence, period)
    return calendar.add_working_days(last, indicator.deadline_workdays)


def expectation(indicator: IndicatorOut, today: date, calendar: WorkCalendar) -> Expectation:
    """The expected period as of ``today`` (see the module notes)."""
    kind = cadence_type(indicator.cadence)
    current = Period.containing(kind, today)
    if is_decree09(indicator.cadence, current):
        current = reporting_period_of(today, kind, "decree09")
    latest = current.previous()
    before = latest.previous()
    return Expectation(
        latest, deadline(indicator, latest, calendar), before, deadline(indicator, before, calendar)
    )


def status_of(
    *, arrived: bool, previous_arrived: bool, any_data: bool, today: date, expected: Expectation
) -> str:
    if not any_data:
        return "missing"
    if arrived:
        return "fresh"
    if today > expected.deadline:
        return "late"
    if previous_arrived or today <= expected.previous_deadline:
        return "pending"
    return "late"


def _arrived(cell: Cell | None) -> bool:
    return (
        cell is not None
        and cell.value is not None
        and cell.coverage.reported >= cell.coverage.expected
    )


def recent_periods(indicator: IndicatorOut, expected: Expectation, today: date) -> list[Period]:
    """The periods whose cells freshness reads: the expected one, the one before, and any
    newer ones up to today's (already reported early, they move "data until" forward)."""
    current = Period.containing(expected.period.type, today)
    periods = [expected.previous, expected.period]
    while periods[-1] < current:
        periods.append(periods[-1].next())
    return periods


def assess(
    db: Session,
    *,
    indicators: Sequence[IndicatorOut],
    targets: Sequence[UnitOut],
    hierarchy: str,
    today: date,
    calendar: WorkCalendar,
    disagg: str = "",
    known: Mapping[tuple[str, int, Want], Cell] | None = None,
) -> dict[tuple[str, int], Freshness]:
    """Freshness of each indicator for each target unit, keyed by (code, unit id).

    One engine call per set of recent periods (none for cells already ``known``: the
    overview computes them with its values). "Data until" comes from those cells when a
    recent period has data, else from each unit's newest entry (one index seek per unit)."""
    expected = {i.code: expectation(i, today, calendar) for i in indicators}
    recent = {i.code: recent_periods(i, expected[i.code], today) for i in indicators}
    cells: dict[tuple[str, int, Want], Cell] = dict(known or {})
    groups: dict[tuple[Period, ...], list[IndicatorOut]] = defaultdict(list)
    for indicator in indicators:
        periods = recent[indicator.code]
        wanted = [(indicator.code, t.id, Want(p)) for t in targets for p in periods]
        if not all(key in cells for key in wanted):
            groups[tuple(periods)].append(indicator)
    for group, members in groups.items():
        request = Request.of(hierarchy, targets, group, disagg=disagg)
        cells.update(compute(db, members, request))
    until: dict[tuple[int, int], date] = {}
    older: list[IndicatorOut] = []
    for indicator in indicators:
        for target in targets:
            present = [
                p
                for p in recent[indicator.code]
                if cells[(indicator.code, target.id, Want(p))].value is not None
            ]
            if present:
                until[(indicator.id, target.id)] = window(indicator.cadence, present[-1])[1]
            elif not indicator.formula and indicator not in older:
                older.append(indicator)
    for key, last_day in _data_until(db, older, targets, hierarchy, disagg).items():
        until.setdefault(key, last_day)
    out: dict[tuple[str, int], Freshness] = {}
    for indicator in indicators:
        e = expected[indicator.code]
        for target in targets:
            latest = cells[(indicator.code, target.id, Want(e.period))]
            previous = cells[(indicator.code, target.id, Want(e.previous))]
            day = until.get((indicator.id, target.id))
            status = status_of(
                arrived=_arrived(latest),
                previous_arrived=_arrived(previous),
                any_data=day is not None,
                today=today,
                expected=e,
            )
            out[(indicator.code, target.id)] = Freshness(status, e, day, latest)
    return out


def _data_until(
    db: Session,
    indicators: Sequence[IndicatorOut],
    targets: Sequence[UnitOut],
    hierarchy: str,
    disagg: str,
) -> dict[tuple[int, int], date]:
    """The last day of the latest period present, per (indicator id, target id), from each
    unit's newest entry in ``ix_observations_unit`` (for data older than the recent cells)."""
    if not indicators:
        return {}
    groups: dict[tuple[PeriodType, str], list[IndicatorOut]] = defaultdict(list)
    stored = stored_types_many(db, [i.id for i in indicators])
    for indicator in indicators:
        kind = cadence_type(indicator.cadence)
        source = source_type(kind, stored[indicator.id])
        if source is not None:
            groups[(source, indicator.report_level)].append(indicator)
    out: dict[tuple[int, int], date] = {}
    for (source, level), members in groups.items():
        plan = plan_units(db, targets=targets, hierarchy=hierarchy, report_level=level)
        cadence = {i.id: i.cadence for i in members}
        found = latest_present(
            db, indicator_ids=list(cadence), source=source, plan=plan, disagg=disagg
        )
        for (indicator_id, target_id), start in found.items():
            period = Period.containing(source, start)
            out[(indicator_id, target_id)] = window(cadence[indicator_id], period)[1]
    return out
