"""Freshness with a frozen clock: fresh, late, pending and missing, Decree-09 deadlines,
aggregates that need every unit, and "số liệu đến ngày …".

October 2026 ends on Saturday the 31st; five working days later is Friday 6 November (no
holiday in between). A Decree-09 October closes on Wednesday 14 October; five working days
later is Wednesday 21 October.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy.orm import Session

from dieuhanh.core.periods import Period
from dieuhanh.core.workdays import WorkCalendar
from dieuhanh.domains.indicators import service
from dieuhanh.domains.indicators.freshness import Expectation, expectation, status_of
from tests.domains.indicators.test_query import ADMIN, HAI_VAN, LIEN_CHIEU, indicator, put

CALENDAR = WorkCalendar()
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


def _status(session: Session, code: str, day: date, unit: str = "48") -> tuple[str, str | None]:
    got = service.freshness(
        db=session, actor=ADMIN, code=code, calendar=CALENDAR, unit=unit, today=day
    )
    row = got.items[0]
    return row.status, row.data_until.isoformat() if row.data_until else None


def test_expected_period_and_deadline(session: Session) -> None:
    monthly = indicator(session, "S_MONTHLY", deadline_workdays=5)
    got = expectation(monthly, date(2026, 11, 4), CALENDAR)
    assert (str(got.period), got.deadline) == ("2026-10", date(2026, 11, 6))
    assert str(got.previous) == "2026-09"
    decree = indicator(session, "S_D09", cadence="decree09_month", deadline_workdays=5)
    got = expectation(decree, date(2026, 11, 4), CALENDAR)
    # 4 November is in the reporting month of November (15/10 – 14/11): October is expected
    assert (str(got.period), got.deadline) == ("2026-10", date(2026, 10, 21))
    assert expectation(decree, date(2026, 11, 15), CALENDAR).period.number == 11


def test_states(session: Session) -> None:
    ind = indicator(session, "S_STATES", deadline_workdays=5)
    assert _status(session, "S_STATES", date(2026, 11, 4)) == ("missing", None)
    put(session, ind, "48", "2026-08", 1)
    # September was due on 7 October and never came
    assert _status(session, "S_STATES", date(2026, 11, 4)) == ("late", "2026-08-31")
    put(session, ind, "48", "2026-09", 1)
    assert _status(session, "S_STATES", date(2026, 11, 4)) == ("pending", "2026-09-30")
    assert _status(session, "S_STATES", date(2026, 11, 6)) == ("pending", "2026-09-30")
    assert _status(session, "S_STATES", date(2026, 11, 9)) == ("late", "2026-09-30")
    put(session, ind, "48", "2026-10", 1)
    assert _status(session, "S_STATES", date(2026, 11, 9)) == ("fresh", "2026-10-31")


def test_decree09_data_until_is_the_window_end(session: Session) -> None:
    ind = indicator(session, "S_D09_UNTIL", cadence="decree09_month", deadline_workdays=5)
    put(session, ind, "48", "2026-10", 1)
    assert _status(session, "S_D09_UNTIL", date(2026, 11, 4)) == ("fresh", "2026-10-14")


def test_an_aggregate_is_fresh_when_every_unit_has_reported(session: Session) -> None:
    ind = indicator(session, "S_COMMUNES", report_level="commune", deadline_workdays=5)
    put(session, ind, HAI_VAN, "2026-10", 1)
    got = service.freshness(
        db=session,
        actor=ADMIN,
        code="S_COMMUNES",
        calendar=CALENDAR,
        parent="48",
        level="commune",
        today=date(2026, 11, 9),
        limit=200,
    )
    by_unit = {row.unit.code: row for row in got.items}
    assert by_unit[HAI_VAN].status == "fresh"
    assert by_unit[LIEN_CHIEU].status == "missing"
    assert got.total == 94
    province = service.freshness(
        db=session,
        actor=ADMIN,
        code="S_COMMUNES",
        calendar=CALENDAR,
        unit="48",
        today=date(2026, 11, 9),
    ).items[0]
    assert province.status == "late"  # 1 of 94 communes is not "arrived"
    assert province.coverage is not None
    assert (province.coverage.reported, province.coverage.expected) == (1, 94)
    assert province.data_until_text == "số liệu đến ngày 31/10/2026"


@pytest.mark.parametrize(
    ("arrived", "previous", "day", "expected"),
    [
        (True, False, date(2026, 11, 30), "fresh"),
        (False, True, date(2026, 11, 6), "pending"),  # due by the end of the deadline day
        (False, True, date(2026, 11, 7), "late"),
        (False, False, date(2026, 10, 7), "pending"),  # September not yet due either
        (False, False, date(2026, 10, 8), "late"),
    ],
)
def test_status_rule(arrived: bool, previous: bool, day: date, expected: str) -> None:
    e = Expectation(
        period=Period.parse("2026-10"),
        deadline=date(2026, 11, 6),
        previous=Period.parse("2026-09"),
        previous_deadline=date(2026, 10, 7),
    )
    got = status_of(
        arrived=arrived, previous_arrived=previous, any_data=True, today=day, expected=e
    )
    assert got == expected


def test_today_comes_from_the_clock_in_vietnam(session: Session) -> None:
    ind = indicator(session, "S_CLOCK", deadline_workdays=5)
    put(session, ind, "48", "2026-09", 1)
    # 23:30 UTC on 6 November is already 7 November in Hà Nội: past the deadline
    with time_machine.travel(datetime(2026, 11, 6, 23, 30, tzinfo=ZoneInfo("UTC")), tick=False):
        got = service.freshness(
            db=session, actor=ADMIN, code="S_CLOCK", calendar=CALENDAR, unit="48"
        )
    assert got.as_of == date(2026, 11, 7)
    assert got.items[0].status == "late"
    with time_machine.travel(datetime(2026, 11, 6, 12, 0, tzinfo=HANOI), tick=False):
        got = service.freshness(
            db=session, actor=ADMIN, code="S_CLOCK", calendar=CALENDAR, unit="48"
        )
    assert got.items[0].status == "pending"


def test_old_data_is_found_unit_by_unit(session: Session) -> None:
    ind = indicator(session, "S_OLD", report_level="commune", deadline_workdays=5)
    # older than the recent years read backwards; recalculated on today's map
    put(session, ind, HAI_VAN, "2023-05", 1, hierarchy="2025")
    assert _status(session, "S_OLD", date(2026, 11, 4), unit=HAI_VAN) == ("late", "2023-05-31")
    assert _status(session, "S_OLD", date(2026, 11, 4)) == ("late", "2023-05-31")
