"""Reporting periods of Decree 09/2019/NĐ-CP, Art. 12: a calendar of its own.

Periodic reports of state administrative agencies do not close their figures on the last day
of the period but on the 14th: the monthly report covers the 15th of the previous month to
the 14th of the reporting month, and the quarter, half-year and year are the unions of their
months (so the year runs 15/12 of the previous year to 14/12). Keeping this apart from the
ordinary calendar matters because the same label ("Tháng 7/2026") names two different sets
of days; every function here therefore takes ``calendar`` explicitly as ``"decree09"`` or
``"calendar"``, with the decree as the default because that is what "reporting" means here.

The periods themselves are the ordinary :class:`~dieuhanh.core.periods.Period` values; only
the window of days they stand for changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from dieuhanh.core.i18n import format_date
from dieuhanh.core.periods import Period, PeriodError, PeriodType, label

CalendarName = Literal["decree09", "calendar"]
CALENDARS: tuple[CalendarName, ...] = ("calendar", "decree09")

REPORTING_TYPES = frozenset(
    {PeriodType.MONTH, PeriodType.QUARTER, PeriodType.HALF, PeriodType.YEAR}
)


@dataclass(frozen=True)
class CutOffCalendar:
    """Reporting months that close on day ``cutoff_day - 1``: Decree 09 uses 15.

    Other cut-offs exist in sector regulations; the day is limited to 2-28 so that every
    month has both the first and the last day of every window.
    """

    cutoff_day: int = 15

    def __post_init__(self) -> None:
        if not 2 <= self.cutoff_day <= 28:
            raise ValueError(f"cut-off day {self.cutoff_day} must be between 2 and 28")

    def window(self, period: Period) -> tuple[date, date]:
        """First and last day (inclusive) whose figures belong to ``period``'s report."""
        _require_reporting_type(period.type)
        first = period.start
        year, month = (first.year, first.month - 1) if first.month > 1 else (first.year - 1, 12)
        return date(year, month, self.cutoff_day), period.end.replace(day=self.cutoff_day - 1)

    def period_of(self, day: date, period_type: PeriodType | str) -> Period:
        """The reporting period of ``period_type`` whose window contains ``day``."""
        kind = _as_type(period_type)
        _require_reporting_type(kind)
        month = Period.containing(PeriodType.MONTH, _plain(day))
        if day.day >= self.cutoff_day:
            month = month.next()
        return month.rollup(kind)


DECREE_09 = CutOffCalendar(15)


def _plain(day: date) -> date:
    if isinstance(day, datetime):
        raise PeriodError("pass a local date, not a datetime (its date depends on the zone)")
    return day


def _as_type(value: PeriodType | str) -> PeriodType:
    try:
        return PeriodType(value)
    except ValueError:
        raise PeriodError(f"unknown period type {value!r}") from None


def _require_reporting_type(kind: PeriodType) -> None:
    if kind not in REPORTING_TYPES:
        raise PeriodError(
            f"Decree 09/2019 defines reporting windows for months, quarters, halves and years, "
            f"not for a {kind.value}"
        )


def _calendar(name: str) -> CutOffCalendar | None:
    if name == "decree09":
        return DECREE_09
    if name == "calendar":
        return None
    raise ValueError(f"unknown calendar {name!r}; use 'decree09' or 'calendar'")


def reporting_window(period: Period, calendar: CalendarName = "decree09") -> tuple[date, date]:
    """The days whose figures a report for ``period`` covers, both ends inclusive."""
    rules = _calendar(calendar)
    if rules is None:
        return period.start, period.end
    return rules.window(period)


def reporting_period_of(
    day: date, period_type: PeriodType | str, calendar: CalendarName = "decree09"
) -> Period:
    """Which report of ``period_type`` a day's figures go into (2026-07-20 → 2026-08)."""
    rules = _calendar(calendar)
    kind = _as_type(period_type)
    if rules is None:
        return Period.containing(kind, _plain(day))
    return rules.period_of(day, kind)


# -- what readers of a period need: its label, whether it has closed, its year to date ------
#
# The helpers below accept every period type under either calendar: the decree defines no
# windows for weeks and days, so those keep their calendar days (a dashboard or a query
# never has to special-case them before asking).


def window_of(period: Period, calendar: CalendarName) -> tuple[date, date]:
    """Like :func:`reporting_window`, but weeks and days keep their calendar days."""
    if period.type not in REPORTING_TYPES:
        _calendar(calendar)  # still refuse an unknown calendar name
        return period.start, period.end
    return reporting_window(period, calendar)


def window_label(period: Period, locale: str, calendar: CalendarName) -> str:
    """``Tháng 7/2026``, or under Decree 09 ``Tháng 7/2026 (15/06/2026 – 14/07/2026)``: the
    nominal label names two sets of days, so the decree's one always shows its window."""
    text = label(period, locale)
    if calendar == "decree09" and period.type in REPORTING_TYPES:
        first, last = window_of(period, calendar)
        return f"{text} ({format_date(first, locale)} – {format_date(last, locale)})"
    _calendar(calendar)
    return text


def ytd_window(period: Period, calendar: CalendarName) -> tuple[date, date]:
    """The days a year-to-date figure to ``period`` covers: 1 January, or under Decree 09
    the 15th of December of the previous year, to the end of ``period``'s window."""
    first_month = Period.for_month(period.year, 1)
    return window_of(first_month, calendar)[0], window_of(period, calendar)[1]


def ytd_label(period: Period, locale: str, calendar: CalendarName) -> str:
    """The label of a year to date to ``period``: under Decree 09 with the days it covers
    (``Tháng 11/2026 (15/12/2025 – 14/11/2026)``), since they start in the previous year."""
    text = label(period, locale)
    if calendar == "decree09" and period.type in REPORTING_TYPES:
        first, last = ytd_window(period, calendar)
        return f"{text} ({format_date(first, locale)} – {format_date(last, locale)})"
    _calendar(calendar)
    return text


def is_closed(period: Period, today: date, calendar: CalendarName) -> bool:
    """Whether ``period``'s window ended before ``today`` (a report closes at day's end)."""
    return window_of(period, calendar)[1] < _plain(today)


def has_started(period: Period, today: date, calendar: CalendarName) -> bool:
    """Whether ``period``'s window has begun by ``today``."""
    return window_of(period, calendar)[0] <= _plain(today)


def latest_closed(period_type: PeriodType | str, today: date, calendar: CalendarName) -> Period:
    """The latest period of ``period_type`` whose window has closed by ``today``: on
    22/11/2026 the calendar month 2026-10, but the Decree-09 month 2026-11 (closed 14/11)."""
    kind = _as_type(period_type)
    if kind not in REPORTING_TYPES:
        _calendar(calendar)
        return Period.containing(kind, _plain(today)).previous()
    return reporting_period_of(today, kind, calendar).previous()
