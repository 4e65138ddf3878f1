"""Vietnamese working time, for case deadlines and service-level clocks.

Deadlines in Vietnamese administration are counted in working days and hours of state
agencies, so a calendar of public holidays alone is not enough:

* **Public holidays** come from ``holidays.Vietnam`` (Labour Code 2019 Art. 112, Tết by the
  lunar calendar, the compensatory days it gives when a holiday falls on a weekend, and the
  24/11 Culture Day from 2026). It knows the years 1901-2100; outside them only weekends
  and province overrides are days off.
* **Swapped days**: each year the Government moves a working day onto a Saturday to make a
  long holiday. ``holidays`` records some of these as "Ngày nghỉ (thay cho ngày dd/mm/yyyy)";
  we take the working Saturday both from its ``weekend_workdays`` and from those names, and
  add :data:`OFFICIAL_SWAPS`, our own table, for swaps it lacks (2/1/2026 ↔ 10/1/2026).
* **Province overrides**: extra days off (a storm closure) and extra working days, given to
  :class:`WorkCalendar`; they win over everything national.

Counting rules (Civil Code 2015 Art. 147-148 as applied to administrative deadlines):

* ``add_working_days(start, n)``: the day of ``start`` is not counted; the result is the
  ``n``-th working day after it. A date result means "by the end of that day"; a datetime
  result is the close of office hours on that day. ``n = 0`` rolls a non-working day forward
  to the next working day (a deadline falling on a day off ends on the next working day).
  A negative ``n`` answers "when are ``-n`` working days left until this deadline": the latest
  working day with exactly ``-n`` working days after it, up to and including ``start``.
* ``working_days_between(a, b)``: working days in ``(a, b]``, negative when ``b < a``; it is
  the inverse of ``add_working_days``.
* Working hours run only inside the office-hour ranges of working days; a start outside them
  begins at the next opening, and an amount that ends exactly at a closing ends there rather
  than at the next opening.

Wall-clock arithmetic inside a local day is exact for Asia/Ho_Chi_Minh, which has no DST.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from typing import overload
from zoneinfo import ZoneInfo

from holidays import country_holidays

DEFAULT_OFFICE_HOURS = "07:30-11:30,13:30-17:00"
DEFAULT_TZ = "Asia/Ho_Chi_Minh"

# Day off for state agencies -> the Saturday worked in exchange. ``holidays`` knows some of
# them; listing the known ones here keeps 2024-2026 right whatever version is installed.
OFFICIAL_SWAPS: Mapping[date, date] = {
    date(2024, 4, 29): date(2024, 5, 4),  # 30/4-1/5 2024 (Công văn 2450/VPCP-KGVX)
    date(2025, 5, 2): date(2025, 4, 26),  # 30/4-1/5 2025
    date(2026, 1, 2): date(2026, 1, 10),  # Tết Dương lịch 2026 (agreed 25/12/2025)
    date(2026, 8, 31): date(2026, 8, 22),  # Quốc khánh 2026
}

_SUBSTITUTED = re.compile(r"thay cho ngày ([0-9]{2})/([0-9]{2})/([0-9]{4})")
_RANGE = re.compile(r"([0-9]{1,2}):([0-9]{2})\s*-\s*([0-9]{1,2}):([0-9]{2})")
_DAY = timedelta(days=1)
_ZERO = timedelta(0)


def parse_office_hours(text: str) -> tuple[tuple[time, time], ...]:
    """Read ``"07:30-11:30,13:30-17:00"`` (the ``Settings.office_hours`` format)."""
    ranges: list[tuple[time, time]] = []
    for part in text.split(","):
        found = _RANGE.fullmatch(part.strip())
        if found is None:
            raise ValueError(f"office hours {text!r}: {part.strip()!r} is not HH:MM-HH:MM")
        h1, m1, h2, m2 = (int(g) for g in found.groups())
        try:
            opening, closing = time(h1, m1), time(h2, m2)
        except ValueError:
            raise ValueError(f"office hours {text!r}: {part.strip()!r} is not a time") from None
        if opening >= closing:
            raise ValueError(f"office hours {text!r}: {part.strip()!r} ends before it starts")
        if ranges and opening < ranges[-1][1]:
            raise ValueError(f"office hours {text!r}: ranges must be in order and not overlap")
        ranges.append((opening, closing))
    return tuple(ranges)


def _offset(t: time) -> timedelta:
    return timedelta(hours=t.hour, minutes=t.minute, seconds=t.second, microseconds=t.microsecond)


@lru_cache(maxsize=256)
def _national(year: int) -> tuple[frozenset[date], frozenset[date]]:
    """Days off and weekend working days of state agencies in ``year``, nationwide."""
    # A swap may be declared under the neighbouring year (31/12/2018 for 5/1/2019).
    table = country_holidays("VN", years=(year - 1, year, year + 1), language="vi")
    weekend_work: set[date] = set(getattr(table, "weekend_workdays", ()))
    for name in table.values():
        for found in _SUBSTITUTED.finditer(str(name)):
            d, m, y = (int(g) for g in found.groups())
            weekend_work.add(date(y, m, d))
    weekend_work.update(OFFICIAL_SWAPS.values())
    off = {d for d in table if d.year == year} | {d for d in OFFICIAL_SWAPS if d.year == year}
    work = {d for d in weekend_work if d.year == year and d.weekday() >= 5}
    return frozenset(off - work), frozenset(work)


def _plain_date(value: date) -> date:
    if isinstance(value, datetime):
        raise TypeError("extra days off and working days are dates, not datetimes")
    return value


class WorkCalendar:
    """Working days and office hours of one province's state agencies.

    Holiday sets are cached per year, and day counts use per-year sorted exception lists, so
    a call costs microseconds and is fine inside loops over thousands of cases.
    """

    def __init__(
        self,
        *,
        office_hours: str = DEFAULT_OFFICE_HOURS,
        extra_holidays: Iterable[date] = (),
        extra_workdays: Iterable[date] = (),
        tz: str | tzinfo = DEFAULT_TZ,
    ) -> None:
        self.office_hours = parse_office_hours(office_hours)
        self._ranges = tuple((_offset(a), _offset(b)) for a, b in self.office_hours)
        self.day_length = sum((b - a for a, b in self._ranges), _ZERO)
        self._extra_off = frozenset(_plain_date(d) for d in extra_holidays)
        self._extra_work = frozenset(_plain_date(d) for d in extra_workdays)
        both = self._extra_off & self._extra_work
        if both:
            listed = ", ".join(sorted(d.isoformat() for d in both))
            raise ValueError(f"days listed both as days off and as working days: {listed}")
        self.tz: tzinfo = ZoneInfo(tz) if isinstance(tz, str) else tz
        self._exceptions: dict[int, tuple[list[date], list[date]]] = {}

    # -- days -------------------------------------------------------------------------------
    def is_working_day(self, day: date) -> bool:
        d = self._date(day)
        if d in self._extra_work:
            return True
        if d in self._extra_off:
            return False
        off, weekend_work = _national(d.year)
        if d.weekday() >= 5:
            return d in weekend_work
        return d not in off

    def is_holiday(self, day: date) -> bool:
        """A weekday that is not worked (public holiday, swapped day or province day off)."""
        d = self._date(day)
        return d.weekday() < 5 and not self.is_working_day(d)

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        d = self._date(day) + _DAY
        while not self.is_working_day(d):
            d += _DAY
        return d

    def previous_working_day(self, day: date) -> date:
        """The last working day strictly before ``day``."""
        d = self._date(day) - _DAY
        while not self.is_working_day(d):
            d -= _DAY
        return d

    @overload
    def add_working_days(self, start: datetime, n: int) -> datetime: ...
    @overload
    def add_working_days(self, start: date, n: int) -> date: ...
    def add_working_days(self, start: date, n: int) -> date:
        """Deadline ``n`` working days after ``start`` (see the module notes for the rule)."""
        d = self._date(start)
        if n == 0:
            result = d if self.is_working_day(d) else self.next_working_day(d)
        elif n > 0:
            result = d
            for _ in range(n):
                result = self.next_working_day(result)
        else:
            result = d if self.is_working_day(d) else self.previous_working_day(d)
            for _ in range(-n):
                result = self.previous_working_day(result)
        if isinstance(start, datetime):
            return self._instant(result, self._ranges[-1][1], start.tzinfo)
        return result

    def working_days_between(self, a: date, b: date) -> int:
        """Working days in ``(a, b]``; negative (those in ``(b, a]``) when ``b`` is earlier."""
        da, db = self._date(a), self._date(b)
        if db < da:
            return -self.working_days_between(db, da)
        return self._count(da + _DAY, db)

    # -- hours ------------------------------------------------------------------------------
    def is_working_time(self, instant: datetime) -> bool:
        local = self._local(instant)
        t = _offset(local.time())
        return self.is_working_day(local.date()) and any(s <= t < e for s, e in self._ranges)

    def add_working_hours(self, start: datetime, amount: float | timedelta) -> datetime:
        """The instant ``amount`` of working time after ``start`` (before it when negative)."""
        remaining = amount if isinstance(amount, timedelta) else timedelta(hours=amount)
        local = self._local(start)
        if remaining == _ZERO:
            return start
        if remaining < _ZERO:
            return self._subtract(local, -remaining, start.tzinfo)
        d, t = local.date(), _offset(local.time())
        while True:
            if self.is_working_day(d):
                for opening, closing in self._ranges:
                    if t >= closing:
                        continue
                    begin = max(t, opening)
                    if remaining <= closing - begin:
                        return self._instant(d, begin + remaining, start.tzinfo)
                    remaining -= closing - begin
            d, t = self.next_working_day(d), _ZERO
            while remaining > self.day_length:
                remaining -= self.day_length
                d = self.next_working_day(d)

    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Working time elapsed from ``a`` to ``b`` (negative when ``b`` is earlier)."""
        la, lb = self._local(a), self._local(b)
        if lb < la:
            return -self.working_time_between(b, a)
        da, db = la.date(), lb.date()
        ta, tb = _offset(la.time()), _offset(lb.time())
        if da == db:
            return self._worked(da, ta, tb)
        total = self._worked(da, ta, _DAY) + self._worked(db, _ZERO, tb)
        if (db - da).days > 1:
            total += self._count(da + _DAY, db - _DAY) * self.day_length
        return total

    # -- internals --------------------------------------------------------------------------
    def _date(self, value: date) -> date:
        return self._local(value).date() if isinstance(value, datetime) else value

    def _local(self, instant: datetime) -> datetime:
        if instant.tzinfo is None or instant.utcoffset() is None:
            raise ValueError("instants must be timezone-aware (store UTC, show local time)")
        return instant.astimezone(self.tz)

    def _instant(self, day: date, offset: timedelta, out: tzinfo | None) -> datetime:
        return (datetime.combine(day, time(0), tzinfo=self.tz) + offset).astimezone(out)

    def _worked(self, day: date, begin: timedelta, end: timedelta) -> timedelta:
        if not self.is_working_day(day):
            return _ZERO
        total = _ZERO
        for opening, closing in self._ranges:
            part = min(end, closing) - max(begin, opening)
            if part > _ZERO:
                total += part
        return total

    def _subtract(self, local: datetime, remaining: timedelta, out: tzinfo | None) -> datetime:
        d, t = local.date(), _offset(local.time())
        while True:
            if self.is_working_day(d):
                for opening, closing in reversed(self._ranges):
                    if t <= opening:
                        continue
                    finish = min(t, closing)
                    if remaining <= finish - opening:
                        return self._instant(d, finish - remaining, out)
                    remaining -= finish - opening
            d, t = self.previous_working_day(d), _DAY
            while remaining > self.day_length:
                remaining -= self.day_length
                d = self.previous_working_day(d)

    def _year_exceptions(self, year: int) -> tuple[list[date], list[date]]:
        """Sorted weekdays not worked and weekend days worked in ``year``."""
        cached = self._exceptions.get(year)
        if cached is None:
            off, weekend_work = _national(year)
            candidates = off | weekend_work | self._extra_off | self._extra_work
            mine = [d for d in candidates if d.year == year]
            cached = (
                sorted(d for d in mine if d.weekday() < 5 and not self.is_working_day(d)),
                sorted(d for d in mine if d.weekday() >= 5 and self.is_working_day(d)),
            )
            self._exceptions[year] = cached
        return cached

    def _count(self, first: date, last: date) -> int:
        """Working days in ``[first, last]``."""
        if last < first:
            return 0
        days = (last - first).days + 1
        weeks, rest = divmod(days, 7)
        count = weeks * 5 + sum(1 for i in range(rest) if (first.weekday() + i) % 7 < 5)
        for year in range(first.year, last.year + 1):
            off, weekend_work = self._year_exceptions(year)
            count -= bisect.bisect_right(off, last) - bisect.bisect_left(off, first)
            count += bisect.bisect_right(weekend_work, last) - bisect.bisect_left(
                weekend_work, first
            )
        return count
