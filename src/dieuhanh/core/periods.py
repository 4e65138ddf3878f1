"""Typed statistical periods: the time axis every observation, target and form is keyed by.

A period is a value (type, first day, last day) rather than a pair of dates so that "2026Q3"
can never be confused with "the 92 days from 1 July", and so that roll-up between types is a
property of the value, not of the code that happens to aggregate it.

Rules chosen here (see ``docs/architecture.md``):

* Weeks are ISO 8601 weeks (Monday to Sunday, numbered in the ISO week-year). A week does not
  fit inside one month, quarter, half or year, so a week **rolls up by its Thursday**: it
  belongs to the coarser period that contains its Thursday. That is the rule ISO itself uses
  to give a week its year, extended to months, so ``rollup(week, YEAR)`` is always the ISO
  week-year. The price: the weeks that are ``children`` of a month are the weeks whose
  Thursday falls in it, and they cover the month only approximately (whole weeks).
* Years are limited to 1000-9998 so that every period has four-digit codes and every
  neighbour, ISO week and reporting window of a valid period is a representable date.
* The textual codes of other standards (SDMX, DHIS2) are parsed and written by separate
  functions; :func:`parse` accepts only our canonical codes (plus ``2026-W12``), so a code has
  one meaning wherever it is stored.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import total_ordering

MIN_YEAR = 1000
MAX_YEAR = 9998


class PeriodError(ValueError):
    """Text or arithmetic that does not denote a period; the web layer maps it to
    ``invalid_period``."""


class PeriodType(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    HALF = "half"
    YEAR = "year"

    @property
    def rank(self) -> int:
        """Fineness order: a type may roll up only to a type of higher rank."""
        return _RANK[self]


_RANK = {kind: rank for rank, kind in enumerate(PeriodType)}  # declared finest first
# Calendar-aligned types are whole runs of months starting in January.
_MONTHS = {PeriodType.MONTH: 1, PeriodType.QUARTER: 3, PeriodType.HALF: 6, PeriodType.YEAR: 12}
_ROMAN = ("I", "II", "III", "IV")
_MONTH_NAMES_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_CANONICAL_HINT = "expected one of 2026, 2026S1, 2026Q3, 2026-07, 2026W12, 2026-07-15"


def _check_year(value: int, what: str = "year") -> None:
    if not MIN_YEAR <= value <= MAX_YEAR:
        raise PeriodError(f"{what} {value} is outside the supported range {MIN_YEAR}-{MAX_YEAR}")


def _month_start(year: int, month0: int) -> date:
    """First day of the month ``month0`` months (0-based) after January of ``year``."""
    y, m = divmod(year * 12 + month0, 12)
    _check_year(y)
    return date(y, m + 1, 1)


def _bounds(period_type: PeriodType, day: date) -> tuple[date, date]:
    """First and last day of the period of ``period_type`` that contains ``day``."""
    if period_type is PeriodType.DAY:
        _check_year(day.year)
        return day, day
    if period_type is PeriodType.WEEK:
        iso_year = day.isocalendar().year
        _check_year(iso_year, "ISO week-year")
        monday = day - timedelta(days=day.weekday())
        return monday, monday + timedelta(days=6)
    _check_year(day.year)
    span = _MONTHS[period_type]
    first = (day.month - 1) // span * span
    start = date(day.year, first + 1, 1)
    if first + span == 12:
        return start, date(day.year, 12, 31)
    return start, date(day.year, first + span + 1, 1) - timedelta(days=1)


@total_ordering
@dataclass(frozen=True, slots=True)
class Period:
    """One period of one type; build it with the ``for_*`` constructors or :func:`parse`."""

    type: PeriodType
    start: date
    end: date

    def __post_init__(self) -> None:
        if not isinstance(self.type, PeriodType):
            raise PeriodError(f"unknown period type {self.type!r}")
        if isinstance(self.start, datetime) or isinstance(self.end, datetime):
            raise PeriodError("period bounds are dates, not datetimes")
        if _bounds(self.type, self.start) != (self.start, self.end):
            raise PeriodError(f"{self.start}..{self.end} is not a {self.type.value}")

    # -- constructors -------------------------------------------------------------------
    @classmethod
    def containing(cls, period_type: PeriodType | str, day: date) -> Period:
        """The period of ``period_type`` that contains ``day``."""
        if isinstance(day, datetime):
            raise PeriodError("pass a local date, not a datetime (its date depends on the zone)")
        kind = _as_type(period_type)
        return cls(kind, *_bounds(kind, day))

    @classmethod
    def for_year(cls, year: int) -> Period:
        _check_year(year)
        return cls.containing(PeriodType.YEAR, date(year, 1, 1))

    @classmethod
    def for_half(cls, year: int, half: int) -> Period:
        if half not in (1, 2):
            raise PeriodError(f"half {half} does not exist; halves are 1 and 2")
        _check_year(year)
        return cls.containing(PeriodType.HALF, date(year, 6 * half - 5, 1))

    @classmethod
    def for_quarter(cls, year: int, quarter: int) -> Period:
        if not 1 <= quarter <= 4:
            raise PeriodError(f"quarter {quarter} does not exist; quarters are 1-4")
        _check_year(year)
        return cls.containing(PeriodType.QUARTER, date(year, 3 * quarter - 2, 1))

    @classmethod
    def for_month(cls, year: int, month: int) -> Period:
        if not 1 <= month <= 12:
            raise PeriodError(f"month {month} does not exist; months are 1-12")
        _check_year(year)
        return cls.containing(PeriodType.MONTH, date(year, month, 1))

    @classmethod
    def for_week(cls, year: int, week: int) -> Period:
        """ISO week ``week`` of ISO week-year ``year``."""
        _check_year(year, "ISO week-year")
        weeks = date(year, 12, 28).isocalendar().week  # 28 December is always in the last week
        if not 1 <= week <= weeks:
            raise PeriodError(f"week {week} does not exist; {year} has weeks 1-{weeks}")
        try:
            monday = date.fromisocalendar(year, week, 1)
        except ValueError as exc:  # pragma: no cover - guarded by the checks above
            raise PeriodError(str(exc)) from exc
        return cls.containing(PeriodType.WEEK, monday)

    @classmethod
    def for_day(cls, day: date) -> Period:
        return cls.containing(PeriodType.DAY, day)

    @classmethod
    def parse(cls, text: str) -> Period:
        return parse(text)

    # -- attributes ---------------------------------------------------------------------
    @property
    def year(self) -> int:
        """The year in the period's code (the ISO week-year for weeks)."""
        if self.type is PeriodType.WEEK:
            return self.start.isocalendar().year
        return self.start.year

    @property
    def number(self) -> int:
        """Position within its year: half 1-2, quarter 1-4, month 1-12, week 1-53, day 1-366."""
        if self.type is PeriodType.WEEK:
            return self.start.isocalendar().week
        if self.type is PeriodType.DAY:
            return self.start.timetuple().tm_yday
        return (self.start.month - 1) // _MONTHS[self.type] + 1

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def __str__(self) -> str:
        y = f"{self.year:04d}"
        match self.type:
            case PeriodType.YEAR:
                return y
            case PeriodType.HALF:
                return f"{y}S{self.number}"
            case PeriodType.QUARTER:
                return f"{y}Q{self.number}"
            case PeriodType.MONTH:
                return f"{y}-{self.number:02d}"
            case PeriodType.WEEK:
                return f"{y}W{self.number:02d}"
            case _:
                return self.start.isoformat()

    def __repr__(self) -> str:
        return f"Period({str(self)!r})"

    # Periods sort by first day, then by last day: finer before coarser when they start
    # together, which is the order tables and charts want.
    def _key(self) -> tuple[date, date, int]:
        return (self.start, self.end, self.type.rank)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Period):
            return NotImplemented
        return self._key() < other._key()

    # -- arithmetic ---------------------------------------------------------------------
    def contains(self, other: date | Period) -> bool:
        """Whether a date, or every day of another period, lies in this period (by dates,
        not by the Thursday rule: a month does not contain a week that straddles it)."""
        if isinstance(other, Period):
            return self.start <= other.start and other.end <= self.end
        if isinstance(other, datetime):
            raise TypeError("pass a local date, not a datetime (its date depends on the zone)")
        return self.start <= other <= self.end

    def shift(self, n: int) -> Period:
        """The period ``n`` steps later (earlier when negative) of the same type."""
        try:
            if self.type is PeriodType.DAY:
                return Period.containing(self.type, self.start + timedelta(days=n))
            if self.type is PeriodType.WEEK:
                return Period.containing(self.type, self.start + timedelta(weeks=n))
        except OverflowError as exc:
            raise PeriodError(f"{self} shifted by {n} is outside the supported range") from exc
        span = _MONTHS[self.type]
        return Period.containing(
            self.type, _month_start(self.year, self.start.month - 1 + n * span)
        )

    def next(self) -> Period:
        return self.shift(1)

    def previous(self) -> Period:
        return self.shift(-1)

    def rollup(self, to_type: PeriodType | str) -> Period:
        return rollup(self, to_type)

    def children(self, of_type: PeriodType | str) -> list[Period]:
        return children(self, of_type)


def _as_type(value: PeriodType | str) -> PeriodType:
    try:
        return PeriodType(value)
    except ValueError:
        names = ", ".join(t.value for t in PeriodType)
        raise PeriodError(f"unknown period type {value!r}; expected one of {names}") from None


def _anchor(period: Period) -> date:
    """The day that decides which coarser period ``period`` belongs to (Thursday for weeks)."""
    if period.type is PeriodType.WEEK:
        return period.start + timedelta(days=3)
    return period.start


def rollup(period: Period, to_type: PeriodType | str) -> Period:
    """The coarser period of ``to_type`` that ``period`` belongs to (weeks by their
    Thursday); the period itself when the type is the same."""
    kind = _as_type(to_type)
    if kind.rank < period.type.rank:
        raise PeriodError(f"cannot roll {period} ({period.type.value}) up to a finer {kind.value}")
    return Period.containing(kind, _anchor(period))


def children(period: Period, of_type: PeriodType | str) -> list[Period]:
    """The periods of the finer ``of_type`` that roll up to ``period``, in order.

    For every type but weeks they tile ``period`` exactly; weeks are those whose Thursday is
    inside ``period`` (see the module notes).
    """
    kind = _as_type(of_type)
    if kind.rank > period.type.rank:
        raise PeriodError(f"a {kind.value} cannot be inside {period} ({period.type.value})")
    first = Period.containing(kind, period.start)
    if kind is PeriodType.WEEK and not period.contains(_anchor(first)):
        first = first.next()
    out: list[Period] = []
    current = first
    while period.contains(_anchor(current)):
        out.append(current)
        if current.end >= period.end:
            break
        try:
            current = current.next()
        except PeriodError:  # the last supported week ends the walk
            break
    return out


def periods_between(first: Period, last: Period) -> list[Period]:
    """Every period from ``first`` to ``last`` inclusive; empty when ``last`` is earlier."""
    if first.type is not last.type:
        raise PeriodError(
            f"{first} and {last} are of different types ({first.type.value}, {last.type.value})"
        )
    return list(_iterate(first, last))


def _iterate(first: Period, last: Period) -> Iterator[Period]:
    current = first
    while current <= last:
        yield current
        if current == last:
            return
        current = current.next()


# -- canonical codes ----------------------------------------------------------------------
_Y = "([0-9]{4})"
_CANONICAL = (
    (re.compile(rf"{_Y}"), PeriodType.YEAR),
    (re.compile(rf"{_Y}S([0-9])"), PeriodType.HALF),
    (re.compile(rf"{_Y}Q([0-9])"), PeriodType.QUARTER),
    (re.compile(rf"{_Y}-([0-9]{{2}})"), PeriodType.MONTH),
    (re.compile(rf"{_Y}-?W([0-9]{{1,2}})"), PeriodType.WEEK),
    (re.compile(rf"{_Y}-([0-9]{{2}})-([0-9]{{2}})"), PeriodType.DAY),
)


def _build(kind: PeriodType, year: int, number: int = 1, day: int = 1) -> Period:
    match kind:
        case PeriodType.YEAR:
            return Period.for_year(year)
        case PeriodType.HALF:
            return Period.for_half(year, number)
        case PeriodType.QUARTER:
            return Period.for_quarter(year, number)
        case PeriodType.MONTH:
            return Period.for_month(year, number)
        case PeriodType.WEEK:
            return Period.for_week(year, number)
        case _:
            _check_year(year)
            try:
                return Period.for_day(date(year, number, day))
            except ValueError as exc:
                if isinstance(exc, PeriodError):
                    raise
                raise PeriodError(f"{year:04d}-{number:02d}-{day:02d} is not a date") from None


def _match(
    text: str, patterns: tuple[tuple[re.Pattern[str], PeriodType], ...]
) -> tuple[PeriodType, list[int]] | None:
    for pattern, kind in patterns:
        found = pattern.fullmatch(text)
        if found:
            return kind, [int(g) for g in found.groups()]
    return None


def parse(text: str) -> Period:
    """Read a canonical code (``2026``, ``2026S1``, ``2026Q3``, ``2026-07``, ``2026W12`` or
    ``2026-W12``, ``2026-07-15``)."""
    if not isinstance(text, str):
        raise PeriodError(f"a period code is text, not {type(text).__name__}")
    found = _match(text.strip().upper(), _CANONICAL)
    if found is None:
        raise PeriodError(f"{text!r} is not a period code; {_CANONICAL_HINT}")
    kind, numbers = found
    return _build(kind, *numbers)


# -- SDMX ---------------------------------------------------------------------------------
_SDMX = (
    (re.compile(rf"{_Y}(?:-A1)?"), PeriodType.YEAR),
    (re.compile(rf"{_Y}-S([0-9])"), PeriodType.HALF),
    (re.compile(rf"{_Y}-Q([0-9])"), PeriodType.QUARTER),
    (re.compile(rf"{_Y}-M?([0-9]{{2}})"), PeriodType.MONTH),
    (re.compile(rf"{_Y}-W([0-9]{{2}})"), PeriodType.WEEK),
    (re.compile(rf"{_Y}-([0-9]{{2}})-([0-9]{{2}})"), PeriodType.DAY),
)
_SDMX_DAY_OF_YEAR = re.compile(rf"{_Y}-D([0-9]{{3}})")


def parse_sdmx(text: str) -> Period:
    """Read an SDMX 2.1 ``TIME_PERIOD``: Gregorian (``2026``, ``2026-07``, ``2026-07-15``) or
    a reporting period with the year starting 1 January (``2026-A1``, ``2026-S1``,
    ``2026-Q3``, ``2026-M07``, ``2026-W12``, ``2026-D196``). Trimesters and date-times are not
    periods we keep."""
    if not isinstance(text, str):
        raise PeriodError(f"an SDMX period is text, not {type(text).__name__}")
    cleaned = text.strip().upper()
    by_day = _SDMX_DAY_OF_YEAR.fullmatch(cleaned)
    if by_day:
        year, ordinal = int(by_day.group(1)), int(by_day.group(2))
        _check_year(year)
        first = date(year, 1, 1)
        if not 1 <= ordinal <= (date(year, 12, 31) - first).days + 1:
            raise PeriodError(f"{text!r}: day {ordinal} does not exist in {year}")
        return Period.for_day(first + timedelta(days=ordinal - 1))
    found = _match(cleaned, _SDMX)
    if found is None:
        raise PeriodError(
            f"{text!r} is not an SDMX period we support; expected e.g. 2026, 2026-A1, 2026-S1, "
            "2026-Q3, 2026-M07, 2026-07, 2026-W12, 2026-07-15, 2026-D196"
        )
    kind, numbers = found
    return _build(kind, *numbers)


def to_sdmx(period: Period, *, reporting: bool = False) -> str:
    """The SDMX code: Gregorian where SDMX has one (year, month, day) unless ``reporting``
    asks for reporting-period codes throughout (``2026-A1``, ``2026-M07``, ``2026-D196``)."""
    y = f"{period.year:04d}"
    match period.type:
        case PeriodType.YEAR:
            return f"{y}-A1" if reporting else y
        case PeriodType.HALF:
            return f"{y}-S{period.number}"
        case PeriodType.QUARTER:
            return f"{y}-Q{period.number}"
        case PeriodType.MONTH:
            return f"{y}-M{period.number:02d}" if reporting else f"{y}-{period.number:02d}"
        case PeriodType.WEEK:
            return f"{y}-W{period.number:02d}"
        case _:
            return f"{y}-D{period.number:03d}" if reporting else period.start.isoformat()


# -- DHIS2 --------------------------------------------------------------------------------
_DHIS2 = (
    (re.compile(rf"{_Y}"), PeriodType.YEAR),
    (re.compile(rf"{_Y}S([0-9])"), PeriodType.HALF),
    (re.compile(rf"{_Y}Q([0-9])"), PeriodType.QUARTER),
    (re.compile(rf"{_Y}([0-9]{{2}})"), PeriodType.MONTH),
    (re.compile(rf"{_Y}W([0-9]{{1,2}})"), PeriodType.WEEK),
    (re.compile(rf"{_Y}([0-9]{{2}})([0-9]{{2}})"), PeriodType.DAY),
)


def parse_dhis2(text: str) -> Period:
    """Read a DHIS2 ISO period id (``2026``, ``2026S1``, ``2026Q3``, ``202607``, ``2026W12``,
    ``20260715``). Bi-monthly, bi-weekly and financial-year ids have no counterpart here."""
    if not isinstance(text, str):
        raise PeriodError(f"a DHIS2 period is text, not {type(text).__name__}")
    found = _match(text.strip().upper(), _DHIS2)
    if found is None:
        raise PeriodError(
            f"{text!r} is not a DHIS2 period we support; expected e.g. 2026, 2026S1, 2026Q3, "
            "202607, 2026W12, 20260715"
        )
    kind, numbers = found
    return _build(kind, *numbers)


def to_dhis2(period: Period) -> str:
    y = f"{period.year:04d}"
    match period.type:
        case PeriodType.YEAR:
            return y
        case PeriodType.HALF:
            return f"{y}S{period.number}"
        case PeriodType.QUARTER:
            return f"{y}Q{period.number}"
        case PeriodType.MONTH:
            return f"{y}{period.number:02d}"
        case PeriodType.WEEK:
            return f"{y}W{period.number}"  # DHIS2 does not zero-pad weeks
        case _:
            return period.start.strftime("%Y%m%d")


# -- display ------------------------------------------------------------------------------
def label(period: Period, locale: str = "vi") -> str:
    """How people write the period in reports: ``Quý III/2026``, ``Q3 2026``.

    ``locale`` is a language tag (``vi``, ``en``, ``en-US``); only Vietnamese and English
    are written, anything else is an error rather than a silent fallback.
    """
    language = locale.replace("_", "-").split("-")[0].lower()
    n, y = period.number, period.year
    if language == "vi":
        match period.type:
            case PeriodType.YEAR:
                return f"Năm {y}"
            case PeriodType.HALF:
                return f"6 tháng {'đầu' if n == 1 else 'cuối'} năm {y}"
            case PeriodType.QUARTER:
                return f"Quý {_ROMAN[n - 1]}/{y}"
            case PeriodType.MONTH:
                return f"Tháng {n}/{y}"
            case PeriodType.WEEK:
                return f"Tuần {n}/{y}"
            case _:
                return period.start.strftime("%d/%m/%Y")
    if language == "en":
        match period.type:
            case PeriodType.YEAR:
                return str(y)
            case PeriodType.HALF:
                return f"H{n} {y}"
            case PeriodType.QUARTER:
                return f"Q{n} {y}"
            case PeriodType.MONTH:
                return f"{_MONTH_NAMES_EN[n - 1]} {y}"
            case PeriodType.WEEK:
                return f"Week {n}, {y}"
            case _:
                d = period.start
                return f"{d.day} {_MONTH_NAMES_EN[d.month - 1]} {d.year}"
    raise ValueError(f"no period labels for locale {locale!r}; use 'vi' or 'en'")
