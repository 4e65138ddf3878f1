"""Vietnamese working days and office hours, against real 2024-2026 calendars."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dieuhanh.core.workdays import OFFICIAL_SWAPS, WorkCalendar, parse_office_hours

VN = ZoneInfo("Asia/Ho_Chi_Minh")
CAL = WorkCalendar()
# A province that closed on Wednesday 18/3/2026 (storm) and worked Saturday 21/3/2026.
PROVINCE = WorkCalendar(extra_holidays=[date(2026, 3, 18)], extra_workdays=[date(2026, 3, 21)])


def vn(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=VN)


days = st.dates(min_value=date(2023, 6, 1), max_value=date(2027, 6, 30))
instants = st.datetimes(
    min_value=datetime(2023, 6, 1),
    max_value=datetime(2027, 6, 30),
    timezones=st.sampled_from([VN, UTC]),
)
amounts = st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=600))
calendars = st.sampled_from([CAL, PROVINCE, WorkCalendar(office_hours="08:00-12:00, 13:00-17:30")])


# -- which days are worked ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("day", "working"),
    [
        # Tết Bính Ngọ 2026: off 14/2 (Sat) to 22/2 (Sun).
        (date(2026, 2, 13), True),
        *[(date(2026, 2, d), False) for d in range(14, 23)],
        (date(2026, 2, 23), True),
        # Tết Dương lịch 2026: Friday 2/1 swapped with Saturday 10/1 (not in `holidays`).
        (date(2026, 1, 1), False),
        (date(2026, 1, 2), False),
        (date(2026, 1, 10), True),
        # Giỗ Tổ Hùng Vương on Sunday 26/4/2026, compensated on Monday 27/4.
        (date(2026, 4, 27), False),
        (date(2026, 4, 28), True),
        (date(2026, 4, 30), False),
        (date(2026, 5, 1), False),
        # Quốc khánh 2026: Monday 31/8 swapped with Saturday 22/8.
        (date(2026, 8, 22), True),
        (date(2026, 8, 31), False),
        (date(2026, 9, 1), False),
        (date(2026, 9, 2), False),
        (date(2026, 9, 3), True),
        (date(2026, 11, 24), False),  # Ngày Văn hóa Việt Nam, from 2026
        # 30/4-1/5 2025: Friday 2/5 swapped with Saturday 26/4.
        (date(2025, 4, 26), True),
        (date(2025, 4, 27), False),
        (date(2025, 4, 30), False),
        (date(2025, 5, 1), False),
        (date(2025, 5, 2), False),
        (date(2025, 9, 1), False),
        (date(2025, 9, 2), False),
        (date(2025, 1, 27), False),
        (date(2025, 1, 31), False),
        (date(2025, 2, 3), True),
        # 30/4-1/5 2024: Monday 29/4 swapped with Saturday 4/5.
        (date(2024, 4, 29), False),
        (date(2024, 5, 4), True),
        (date(2024, 9, 2), False),
        (date(2024, 9, 3), False),
        (date(2024, 2, 8), False),
        (date(2024, 2, 14), False),
        (date(2024, 2, 15), True),
        # Ordinary weekends and weekdays.
        (date(2026, 3, 14), False),
        (date(2026, 3, 15), False),
        (date(2026, 3, 16), True),
    ],
)
def test_national_calendar(day: date, working: bool) -> None:
    assert CAL.is_working_day(day) is working
    assert CAL.is_holiday(day) is (not working and day.weekday() < 5)


def test_working_days_per_year() -> None:
    # 261 weekdays; 2025: 12 of them off, 1 Saturday worked; 2026: 14 off, 2 Saturdays worked.
    assert CAL.working_days_between(date(2024, 12, 31), date(2025, 12, 31)) == 250
    assert CAL.working_days_between(date(2025, 12, 31), date(2026, 12, 31)) == 249


@given(st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31)))
def test_agrees_with_holidays_package_except_swaps(day: date) -> None:
    national = holidays.country_holidays("VN", years=day.year)
    makeup = set(OFFICIAL_SWAPS.values())
    if day.weekday() < 5:
        expected = day not in national and day not in OFFICIAL_SWAPS
    else:
        expected = day in makeup
    assert CAL.is_working_day(day) is expected


def test_datetimes_are_judged_by_their_local_date() -> None:
    # 17:30 UTC on Friday 13/2/2026 is already Saturday 14/2 in Vietnam.
    assert CAL.is_working_day(datetime(2026, 2, 13, 16, 59, tzinfo=UTC))
    assert not CAL.is_working_day(datetime(2026, 2, 13, 17, 30, tzinfo=UTC))


# -- province overrides -------------------------------------------------------------------
def test_province_override() -> None:
    assert CAL.is_working_day(date(2026, 3, 18))
    assert not PROVINCE.is_working_day(date(2026, 3, 18))
    assert PROVINCE.is_working_day(date(2026, 3, 21))
    assert not CAL.is_working_day(date(2026, 3, 21))
    assert CAL.add_working_days(date(2026, 3, 17), 1) == date(2026, 3, 18)
    assert PROVINCE.add_working_days(date(2026, 3, 17), 1) == date(2026, 3, 19)
    assert PROVINCE.add_working_days(date(2026, 3, 20), 1) == date(2026, 3, 21)
    assert CAL.working_days_between(date(2026, 3, 15), date(2026, 3, 22)) == 5
    assert PROVINCE.working_days_between(date(2026, 3, 15), date(2026, 3, 22)) == 5  # -1 +1
    assert PROVINCE.working_days_between(date(2026, 3, 15), date(2026, 3, 20)) == 4


def test_province_override_wins_over_national() -> None:
    cal = WorkCalendar(extra_workdays=[date(2026, 9, 3)], extra_holidays=[date(2026, 1, 10)])
    assert not cal.is_working_day(date(2026, 1, 10))  # the national make-up Saturday, cancelled
    cal = WorkCalendar(extra_workdays=[date(2026, 9, 2)])
    assert cal.is_working_day(date(2026, 9, 2))


def test_override_conflicts_and_types_rejected() -> None:
    with pytest.raises(ValueError, match="2026-03-18"):
        WorkCalendar(extra_holidays=[date(2026, 3, 18)], extra_workdays=[date(2026, 3, 18)])
    with pytest.raises(TypeError):
        WorkCalendar(extra_holidays=[datetime(2026, 3, 18, tzinfo=VN)])


# -- working days -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2026, 2, 13), 1, date(2026, 2, 23)),  # received the Friday before Tết
        (date(2026, 2, 14), 1, date(2026, 2, 23)),  # received during Tết
        (date(2026, 4, 22), 5, date(2026, 5, 4)),  # over 27/4, 30/4 and 1/5
        (date(2025, 4, 24), 2, date(2025, 4, 26)),  # the make-up Saturday counts
        (date(2026, 3, 16), 0, date(2026, 3, 16)),
        (date(2026, 3, 14), 0, date(2026, 3, 16)),  # a deadline on a day off moves forward
        (date(2026, 3, 18), -1, date(2026, 3, 17)),
        (date(2026, 3, 21), -1, date(2026, 3, 19)),  # from a Saturday, Friday is the day left
        (date(2026, 2, 23), -1, date(2026, 2, 13)),  # back over Tết
        (date(2026, 2, 23), -2, date(2026, 2, 12)),
    ],
)
def test_add_working_days(start: date, n: int, expected: date) -> None:
    assert CAL.add_working_days(start, n) == expected


def test_add_working_days_to_an_instant_ends_at_close_of_business() -> None:
    received = vn(2026, 3, 13, 16, 0)  # Friday
    assert CAL.add_working_days(received, 3) == vn(2026, 3, 18, 17, 0)
    in_utc = CAL.add_working_days(received.astimezone(UTC), 3)
    assert in_utc == datetime(2026, 3, 18, 10, 0, tzinfo=UTC)
    assert in_utc.tzinfo is UTC
    # Received on Friday evening in UTC terms, which is already Saturday in Vietnam.
    assert CAL.add_working_days(datetime(2026, 3, 13, 18, 0, tzinfo=UTC), 1) == vn(2026, 3, 16, 17)


def test_next_and_previous_working_day() -> None:
    assert CAL.next_working_day(date(2026, 2, 13)) == date(2026, 2, 23)
    assert CAL.next_working_day(date(2026, 3, 16)) == date(2026, 3, 17)
    assert CAL.previous_working_day(date(2026, 2, 23)) == date(2026, 2, 13)
    assert CAL.next_working_day(date(2026, 1, 9)) == date(2026, 1, 10)


@given(days, st.integers(min_value=-400, max_value=400), calendars)
def test_add_working_days_lands_on_working_days_and_inverts(
    d: date, n: int, cal: WorkCalendar
) -> None:
    result = cal.add_working_days(d, n)
    assert cal.is_working_day(result)
    assert not cal.is_holiday(result)
    if n != 0 or cal.is_working_day(d):
        assert cal.working_days_between(d, result) == n
    assert (result > d) if n > 0 else (result < d) if n < 0 else (result >= d)


@given(days, days, calendars)
def test_working_days_between_matches_counting_one_by_one(
    a: date, b: date, cal: WorkCalendar
) -> None:
    if abs((b - a).days) > 500:
        b = a + timedelta(days=(b - a).days % 500)
    lo, hi = min(a, b), max(a, b)
    slow = sum(cal.is_working_day(lo + timedelta(days=i)) for i in range(1, (hi - lo).days + 1))
    assert cal.working_days_between(lo, hi) == slow
    assert cal.working_days_between(hi, lo) == -slow


# -- office hours -------------------------------------------------------------------------
def test_office_hours_parsing() -> None:
    assert parse_office_hours("07:30-11:30,13:30-17:00") == (
        (time(7, 30), time(11, 30)),
        (time(13, 30), time(17, 0)),
    )
    assert CAL.day_length == timedelta(hours=7, minutes=30)
    assert WorkCalendar(office_hours="8:00 - 12:00, 13:00-17:00").day_length == timedelta(hours=8)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "8-12",
        "12:00-08:00",
        "08:00-12:00,11:00-13:00",
        "13:00-17:00,07:00-11:00",
        "25:00-26:00",
    ],
)
def test_office_hours_rejected(text: str) -> None:
    with pytest.raises(ValueError, match="office hours"):
        parse_office_hours(text)


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        # Friday 16:00 + 8 h: 1 h on Friday, 4 h Monday morning, 3 h Monday afternoon.
        (vn(2026, 3, 13, 16, 0), 8, vn(2026, 3, 16, 16, 30)),
        (vn(2026, 3, 13, 16, 0), 1, vn(2026, 3, 13, 17, 0)),  # ends at closing, not Monday
        (vn(2026, 3, 14, 10, 0), 1, vn(2026, 3, 16, 8, 30)),  # Saturday: from Monday's opening
        (vn(2026, 3, 16, 6, 0), 0.5, vn(2026, 3, 16, 8, 0)),  # before opening
        (vn(2026, 3, 16, 11, 0), 1, vn(2026, 3, 16, 14, 0)),  # over lunch
        (vn(2026, 3, 16, 12, 0), 1, vn(2026, 3, 16, 14, 30)),  # during lunch
        (vn(2026, 3, 16, 18, 0), 1, vn(2026, 3, 17, 8, 30)),  # after closing
        (vn(2026, 2, 13, 16, 0), 2, vn(2026, 2, 23, 8, 30)),  # over Tết
        (vn(2026, 3, 16, 7, 30), 7.5, vn(2026, 3, 16, 17, 0)),  # one full day
        (vn(2026, 3, 16, 7, 30), 37.5, vn(2026, 3, 20, 17, 0)),  # one full week
        (vn(2026, 3, 16, 8, 30), -1, vn(2026, 3, 16, 7, 30)),
        (vn(2026, 3, 16, 8, 30), -2, vn(2026, 3, 13, 16, 0)),
        (vn(2026, 3, 16, 14, 0), -1, vn(2026, 3, 16, 11, 0)),
    ],
)
def test_add_working_hours(start: datetime, hours: float, expected: datetime) -> None:
    assert CAL.add_working_hours(start, hours) == expected
    assert CAL.add_working_hours(start, timedelta(hours=hours)) == expected


def test_add_working_hours_keeps_the_callers_zone() -> None:
    start = vn(2026, 3, 13, 16, 0).astimezone(UTC)
    result = CAL.add_working_hours(start, 8)
    assert result == datetime(2026, 3, 16, 9, 30, tzinfo=UTC)
    assert result.tzinfo is UTC


def test_naive_instants_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        CAL.add_working_hours(datetime(2026, 3, 16, 8), 1)
    with pytest.raises(ValueError, match="timezone-aware"):
        CAL.working_time_between(datetime(2026, 3, 16, 8), vn(2026, 3, 16, 9))


def test_working_time_between_examples() -> None:
    assert CAL.working_time_between(vn(2026, 3, 13, 16, 0), vn(2026, 3, 16, 16, 30)) == timedelta(
        hours=8
    )
    assert CAL.working_time_between(vn(2026, 3, 16, 12, 0), vn(2026, 3, 16, 13, 0)) == timedelta(0)
    assert CAL.working_time_between(vn(2026, 2, 13, 7, 0), vn(2026, 2, 24, 7, 0)) == timedelta(
        hours=15
    )
    assert CAL.working_time_between(vn(2026, 3, 16, 17, 0), vn(2026, 3, 13, 16, 0)) == -timedelta(
        hours=8, minutes=30
    )


def test_is_working_time() -> None:
    assert CAL.is_working_time(vn(2026, 3, 16, 7, 30))
    assert not CAL.is_working_time(vn(2026, 3, 16, 11, 30))
    assert not CAL.is_working_time(vn(2026, 3, 16, 17, 0))
    assert not CAL.is_working_time(vn(2026, 2, 17, 9, 0))
    assert CAL.is_working_time(vn(2025, 4, 26, 9, 0))


@given(instants, amounts, calendars)
def test_add_working_hours_inverts_working_time_between(
    start: datetime, amount: timedelta, cal: WorkCalendar
) -> None:
    later = cal.add_working_hours(start, amount)
    assert later >= start
    assert cal.working_time_between(start, later) == amount
    earlier = cal.add_working_hours(start, -amount)
    assert earlier <= start
    assert cal.working_time_between(start, earlier) == -amount


@given(instants, amounts, calendars)
def test_add_working_hours_lands_inside_office_hours(
    start: datetime, amount: timedelta, cal: WorkCalendar
) -> None:
    if amount == timedelta(0):
        return
    local = cal.add_working_hours(start, amount).astimezone(VN)
    assert cal.is_working_day(local.date())
    assert not cal.is_holiday(local.date())
    assert any(a <= local.time() <= b for a, b in cal.office_hours)


@given(instants, amounts, amounts)
def test_add_working_hours_is_additive(start: datetime, a: timedelta, b: timedelta) -> None:
    if a == timedelta(0) or b == timedelta(0):
        return
    assert CAL.add_working_hours(CAL.add_working_hours(start, a), b) == CAL.add_working_hours(
        start, a + b
    )


@given(instants, instants, instants)
def test_working_time_between_is_additive(a: datetime, b: datetime, c: datetime) -> None:
    assert CAL.working_time_between(a, b) + CAL.working_time_between(
        b, c
    ) == CAL.working_time_between(a, c)


@given(instants, st.integers(min_value=0, max_value=72))
def test_working_time_between_counts_hour_by_hour(start: datetime, hours: int) -> None:
    # Slow reference: sample every minute-aligned quarter hour of a whole-hour span.
    start = start.astimezone(VN).replace(minute=0, second=0, microsecond=0)
    end = start + timedelta(hours=hours)
    step = timedelta(minutes=15)
    slow = sum(
        (step for i in range(hours * 4) if CAL.is_working_time(start + i * step)),
        timedelta(0),
    )
    assert CAL.working_time_between(start, end) == slow
