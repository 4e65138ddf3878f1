"""Decree 09/2019/NĐ-CP Art. 12 reporting periods, kept apart from the ordinary calendar."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dieuhanh.core.periods import Period, PeriodError, PeriodType, children, parse
from dieuhanh.core.reporting_periods import (
    CALENDARS,
    DECREE_09,
    REPORTING_TYPES,
    CalendarName,
    CutOffCalendar,
    has_started,
    is_closed,
    latest_closed,
    reporting_period_of,
    reporting_window,
    window_label,
    window_of,
    ytd_label,
    ytd_window,
)

REPORTING = sorted(REPORTING_TYPES, key=lambda t: t.rank)
dates = st.dates(min_value=date(1001, 2, 1), max_value=date(9997, 11, 30))
years = st.integers(min_value=1001, max_value=9997)
ONE_DAY = timedelta(days=1)


@pytest.mark.parametrize(
    ("code", "start", "end"),
    [
        ("2026-07", date(2026, 6, 15), date(2026, 7, 14)),
        ("2026-01", date(2025, 12, 15), date(2026, 1, 14)),
        ("2026-03", date(2026, 2, 15), date(2026, 3, 14)),
        ("2026Q1", date(2025, 12, 15), date(2026, 3, 14)),
        ("2026Q3", date(2026, 6, 15), date(2026, 9, 14)),
        ("2026S1", date(2025, 12, 15), date(2026, 6, 14)),
        ("2026S2", date(2026, 6, 15), date(2026, 12, 14)),
        ("2026", date(2025, 12, 15), date(2026, 12, 14)),
    ],
)
def test_decree09_windows(code: str, start: date, end: date) -> None:
    assert reporting_window(parse(code)) == (start, end)
    assert reporting_window(parse(code), "decree09") == (start, end)
    assert DECREE_09.window(parse(code)) == (start, end)


def test_calendar_windows_are_the_ordinary_periods() -> None:
    p = parse("2026Q3")
    assert reporting_window(p, "calendar") == (date(2026, 7, 1), date(2026, 9, 30))
    assert reporting_window(parse("2026W12"), "calendar") == (date(2026, 3, 16), date(2026, 3, 22))


@pytest.mark.parametrize(
    ("day", "kind", "expected"),
    [
        (date(2026, 7, 20), "month", "2026-08"),
        (date(2026, 7, 14), "month", "2026-07"),
        (date(2026, 7, 15), "month", "2026-08"),
        (date(2026, 6, 15), "quarter", "2026Q3"),
        (date(2026, 6, 14), "quarter", "2026Q2"),
        (date(2026, 9, 14), "quarter", "2026Q3"),
        (date(2026, 9, 15), "quarter", "2026Q4"),
        (date(2025, 12, 20), "half", "2026S1"),
        (date(2026, 6, 15), "half", "2026S2"),
        (date(2026, 12, 14), "year", "2026"),
        (date(2026, 12, 15), "year", "2027"),
        (date(2026, 12, 31), "month", "2027-01"),
    ],
)
def test_decree09_period_of(day: date, kind: str, expected: str) -> None:
    assert str(reporting_period_of(day, kind)) == expected


def test_calendar_period_of_is_ordinary() -> None:
    assert str(reporting_period_of(date(2026, 7, 20), "month", "calendar")) == "2026-07"
    assert str(reporting_period_of(date(2026, 12, 15), "year", calendar="calendar")) == "2026"
    assert str(reporting_period_of(date(2026, 7, 20), "week", "calendar")) == "2026W30"


@pytest.mark.parametrize("code", ["2026W12", "2026-07-15"])
def test_decree09_has_no_weeks_or_days(code: str) -> None:
    with pytest.raises(PeriodError, match="Decree 09"):
        reporting_window(parse(code))
    with pytest.raises(PeriodError, match="Decree 09"):
        reporting_period_of(date(2026, 7, 15), parse(code).type)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="unknown calendar"):
        reporting_window(parse("2026"), "lunar")  # type: ignore[arg-type]
    with pytest.raises(PeriodError, match="unknown period type"):
        reporting_period_of(date(2026, 7, 1), "fortnight")
    with pytest.raises(PeriodError, match="datetime"):
        reporting_period_of(datetime(2026, 7, 1, 12), "month")
    with pytest.raises(ValueError, match="cut-off day"):
        CutOffCalendar(29)
    with pytest.raises(ValueError, match="cut-off day"):
        CutOffCalendar(1)


@given(dates)
def test_every_day_in_exactly_one_reporting_month(d: date) -> None:
    month = reporting_period_of(d, PeriodType.MONTH)
    start, end = reporting_window(month)
    assert start <= d <= end
    for neighbour in (month.previous(), month.next()):
        n_start, n_end = reporting_window(neighbour)
        assert not n_start <= d <= n_end


@given(years, st.sampled_from(REPORTING))
def test_reporting_windows_tile_the_year(year: int, kind: PeriodType) -> None:
    y_start, y_end = reporting_window(Period.for_year(year))
    windows = [reporting_window(p) for p in children(Period.for_year(year), kind)]
    assert windows[0][0] == y_start == date(year - 1, 12, 15)
    assert windows[-1][1] == y_end == date(year, 12, 14)
    assert all(b[0] == a[1] + ONE_DAY for a, b in itertools.pairwise(windows))
    # The window of the next year starts where this one ends.
    assert reporting_window(Period.for_year(year + 1))[0] == y_end + ONE_DAY


@given(dates, st.sampled_from(REPORTING))
def test_coarser_reporting_periods_are_unions_of_months(d: date, kind: PeriodType) -> None:
    p = reporting_period_of(d, kind)
    start, end = reporting_window(p)
    assert p.type is kind
    assert start <= d <= end
    assert p == reporting_period_of(d, PeriodType.MONTH).rollup(kind)
    months = children(p, PeriodType.MONTH)
    assert reporting_window(months[0])[0] == start
    assert reporting_window(months[-1])[1] == end


@given(dates, st.integers(min_value=2, max_value=28))
def test_other_cut_off_days_tile_too(d: date, cutoff: int) -> None:
    rules = CutOffCalendar(cutoff)
    month = rules.period_of(d, PeriodType.MONTH)
    start, end = rules.window(month)
    assert start <= d <= end
    assert rules.window(month.next())[0] == end + ONE_DAY
    assert start.day == cutoff
    assert end.day == cutoff - 1


# -- what a reader of a period needs: latest closed, labels, year to date ---------------------


@pytest.mark.parametrize(
    ("today", "kind", "calendar", "expected"),
    [
        (date(2026, 11, 22), "month", "decree09", "2026-11"),  # closed on 14/11
        (date(2026, 11, 22), "month", "calendar", "2026-10"),
        (date(2026, 11, 14), "month", "decree09", "2026-10"),  # 2026-11 closes at day's end
        (date(2026, 11, 15), "month", "decree09", "2026-11"),
        (date(2026, 9, 20), "quarter", "decree09", "2026Q3"),  # closed on 14/09
        (date(2026, 9, 20), "quarter", "calendar", "2026Q2"),
        (date(2026, 12, 20), "year", "decree09", "2026"),  # the reporting year ends 14/12
        (date(2026, 12, 20), "year", "calendar", "2025"),
        (date(2026, 6, 16), "half", "decree09", "2026S1"),
        (date(2026, 11, 22), "week", "decree09", "2026W46"),  # no decree weeks: calendar
    ],
)
def test_latest_closed_period(
    today: date, kind: str, calendar: CalendarName, expected: str
) -> None:
    assert str(latest_closed(kind, today, calendar)) == expected


@given(dates, st.sampled_from(REPORTING), st.sampled_from(CALENDARS))
def test_latest_closed_is_closed_and_the_next_is_not(
    d: date, kind: PeriodType, calendar: CalendarName
) -> None:
    latest = latest_closed(kind, d, calendar)
    assert is_closed(latest, d, calendar)
    assert not is_closed(latest.next(), d, calendar)
    assert has_started(latest.next(), d, calendar)  # the one in progress
    assert not has_started(latest.next().next(), d, calendar)


def test_window_labels_and_year_to_date() -> None:
    november = Period.for_month(2026, 11)
    assert window_label(november, "vi", "decree09") == "Tháng 11/2026 (15/10/2026 – 14/11/2026)"
    assert window_label(november, "en", "decree09") == "November 2026 (15 Oct 2026 – 14 Nov 2026)"
    assert window_label(november, "vi", "calendar") == "Tháng 11/2026"
    assert window_label(Period.for_quarter(2026, 3), "vi", "decree09") == (
        "Quý III/2026 (15/06/2026 – 14/09/2026)"
    )
    # a year to date under Decree 09 starts on 15 December of the year before
    assert ytd_window(november, "decree09") == (date(2025, 12, 15), date(2026, 11, 14))
    assert ytd_window(november, "calendar") == (date(2026, 1, 1), date(2026, 11, 30))
    assert ytd_label(november, "vi", "decree09") == "Tháng 11/2026 (15/12/2025 – 14/11/2026)"
    assert ytd_label(november, "vi", "calendar") == "Tháng 11/2026"
    # weeks and days have no decree window: their own days, their plain label
    week = Period.for_week(2026, 46)
    assert window_of(week, "decree09") == (week.start, week.end)
    assert window_label(week, "vi", "decree09") == "Tuần 46/2026"
    with pytest.raises(ValueError, match="unknown calendar"):
        window_label(november, "vi", "lunar")  # type: ignore[arg-type]
