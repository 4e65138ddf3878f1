"""Time in indicator queries: which stored periods make up a requested one, and how they combine.

Rules (the query engine's "over time" half):

* **Where a value comes from.** Observations are stored under the nominal start of their
  period (a Decree-09 month "2026-07" is stored as 2026-07-01, like a calendar month). A
  query for periods of type *P* reads the values stored at *P* when the indicator has any;
  otherwise it rolls up from the coarsest stored type finer than *P* (months into quarters
  rather than days into quarters: fewer rows, and the figures the supplier meant). A type
  finer than anything stored has no value (a quarterly GRDP has no monthly value).
* **Which children.** The children of a period are its sub-periods of the source type
  (weeks by their Thursday, see :mod:`dieuhanh.core.periods`); *year to date* takes the
  children of the period's year that end by the end of the period. Decree-09 quarters,
  halves and years are made of the same reporting months as calendar ones (Q3 = months 7, 8
  and 9): only the window of days they stand for differs (:func:`window_text`).
* **How they combine** (``agg_time``): ``sum``, ``avg``, ``max``, ``min`` over the children
  present; ``last``/``first`` take the latest/earliest child present, and the coverage says
  so when the true last one is missing. A missing child is left out, never counted as zero.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from functools import lru_cache

from sqlalchemy import text
from sqlalchemy.orm import Session

from dieuhanh.core.db import read_cache
from dieuhanh.core.periods import Period, PeriodError, PeriodType, parse
from dieuhanh.core.reporting_periods import REPORTING_TYPES, reporting_window, window_label

CADENCE_TYPES: dict[str, PeriodType] = {
    "day": PeriodType.DAY,
    "week": PeriodType.WEEK,
    "month": PeriodType.MONTH,
    "decree09_month": PeriodType.MONTH,
    "quarter": PeriodType.QUARTER,
    "year": PeriodType.YEAR,
}
DECREE09 = "decree09_month"


def cadence_type(cadence: str) -> PeriodType:
    """The period type an indicator of this cadence is stored at."""
    return CADENCE_TYPES[cadence]


def parse_period(text: str) -> Period:
    """A canonical period code; ``PeriodError`` (→ 422 ``invalid_period``) otherwise."""
    return parse(text)


def period_type(text: str) -> PeriodType:
    try:
        return PeriodType(text)
    except ValueError:
        names = ", ".join(t.value for t in PeriodType)
        raise PeriodError(f"unknown period type {text!r}; expected one of {names}") from None


def period_range(first: Period, last: Period, *, limit: int) -> list[Period]:
    """Every period from ``first`` to ``last`` (same type), refusing more than ``limit``."""
    if first.type is not last.type:
        raise PeriodError(f"{first} and {last} are of different types")
    if last < first:
        raise PeriodError(f"the period {last} is before {first}")
    out: list[Period] = []
    current = first
    while current <= last:
        out.append(current)
        if len(out) > limit:
            raise PeriodError(f"more than {limit} periods from {first} to {last}")
        if current == last:
            break
        current = current.next()
    return out


def stored_types_many(
    db: Session, indicator_ids: Iterable[int]
) -> dict[int, frozenset[PeriodType]]:
    """The period types each indicator has values at: one primary-key probe per indicator
    and type, all in one statement (a ``DISTINCT`` would read every row of the indicator);
    remembered for a read session (a dashboard asks about the same indicators ~20 times)."""
    wanted = sorted(set(indicator_ids))
    cache = read_cache(db, "indicators.stored_types")
    known = {i: cache[i] for i in wanted if i in cache} if cache is not None else {}
    ids = [i for i in wanted if i not in known]
    if not ids:
        return known
    # Plain SQL text: the pairs are integers and the fixed period-type names, and building
    # a 400-row VALUES clause through SQLAlchemy's expression layer costs more than the
    # query itself on an overview of 50 indicators.
    pairs = ", ".join(f"({int(i)}, '{kind.value}')" for i in ids for kind in PeriodType)
    statement = text(
        f"WITH pairs(i, t) AS (VALUES {pairs}) SELECT pairs.i, pairs.t FROM pairs "  # noqa: S608
        "WHERE EXISTS (SELECT 1 FROM observations o "
        "WHERE o.indicator_id = pairs.i AND o.period_type = pairs.t)"
    )
    out: dict[int, set[PeriodType]] = {i: set() for i in ids}
    for indicator_id, kind in db.execute(statement):
        out[int(indicator_id)].add(PeriodType(kind))
    found = {i: frozenset(kinds) for i, kinds in out.items()}
    if cache is not None:
        cache.update(found)
    return known | found


def stored_types(db: Session, indicator_id: int) -> frozenset[PeriodType]:
    """The period types one indicator has values at."""
    return stored_types_many(db, [indicator_id])[indicator_id]


def source_type(requested: PeriodType, stored: frozenset[PeriodType]) -> PeriodType | None:
    """The stored type a request reads: the requested one if stored, else the coarsest
    finer stored type, else nothing (see the module notes)."""
    if requested in stored:
        return requested
    finer = [kind for kind in stored if kind.rank < requested.rank]
    return max(finer, key=lambda kind: kind.rank) if finer else None


def children_for(period: Period, source: PeriodType, *, ytd: bool = False) -> list[Period]:
    """The stored periods that make up ``period`` (or its year to date)."""
    return list(_children_for(period, source, ytd))


@lru_cache(maxsize=4096)
def _children_for(period: Period, source: PeriodType, ytd: bool) -> tuple[Period, ...]:
    """Cached: an overview asks the same few periods for every indicator."""
    return tuple(_children_uncached(period, source, ytd=ytd))


def _children_uncached(period: Period, source: PeriodType, *, ytd: bool) -> list[Period]:
    if ytd:
        year = Period.for_year(period.year)
        found = year.children(source) if source is not PeriodType.YEAR else [year]
        return [child for child in found if child.end <= period.end]
    if source is period.type:
        return [period]
    return period.children(source)


def same_period_last_year(period: Period) -> Period:
    """The period one year earlier (for weeks: the same week number, clamped to week 52)."""
    if period.type is PeriodType.WEEK:
        week = min(period.number, 52)
        return Period.for_week(period.year - 1, week)
    if period.type is PeriodType.DAY:
        day = period.start
        try:
            return Period.for_day(day.replace(year=day.year - 1))
        except ValueError:  # 29 February
            return Period.for_day(date(day.year - 1, 2, 28))
    steps = {PeriodType.MONTH: 12, PeriodType.QUARTER: 4, PeriodType.HALF: 2, PeriodType.YEAR: 1}
    return period.shift(-steps[period.type])


def shift_years(period: Period, years: int) -> Period:
    for _ in range(-years):
        period = same_period_last_year(period)
    return period


def is_decree09(cadence: str, period: Period) -> bool:
    return cadence == DECREE09 and period.type in REPORTING_TYPES


def window(cadence: str, period: Period) -> tuple[date, date]:
    """The days a value stands for: the Decree-09 reporting window (15th → 14th) for that
    cadence, else the calendar period."""
    if is_decree09(cadence, period):
        return reporting_window(period, "decree09")
    return period.start, period.end


def window_text(cadence: str, period: Period, locale: str) -> str:
    """``Tháng 7/2026`` or, for Decree-09 reporting, ``Tháng 7/2026 (15/06/2026 – 14/07/2026)``
    (one wording with the dashboards' Decree-09 view: :func:`window_label`)."""
    return window_label(period, locale, "decree09" if cadence == DECREE09 else "calendar")


# --- the operators, in Python (explain trees and weighted averages use them) ------------------


def combine_time(operator: str, values: Sequence[tuple[date, float]]) -> float | None:
    """``agg_time`` over (period start, value) pairs; ``None`` when there are none."""
    if not values:
        return None
    numbers = [v for _d, v in values]
    match operator:
        case "sum":
            return sum(numbers)
        case "avg":
            return sum(numbers) / len(numbers)
        case "max":
            return max(numbers)
        case "min":
            return min(numbers)
        case "last":
            return max(values, key=lambda pair: pair[0])[1]
        case "first":
            return min(values, key=lambda pair: pair[0])[1]
    raise ValueError(f"unknown aggregation over time {operator!r}")


def combine_units(operator: str, values: Sequence[tuple[float, float]]) -> float | None:
    """``agg_units`` over (value, weight) pairs; ``None`` when there are none. For ``sum``
    the weight is a share (a split commune's part); for ``avg``/``wavg`` it weights."""
    if not values:
        return None
    match operator:
        case "sum":
            return sum(v * w for v, w in values)
        case "avg" | "wavg":
            total = sum(w for _v, w in values)
            return sum(v * w for v, w in values) / total if total else None
        case "max":
            return max(v for v, _w in values)
        case "min":
            return min(v for v, _w in values)
        case "none":
            return values[0][0] if len(values) == 1 else None
    raise ValueError(f"unknown aggregation across units {operator!r}")
