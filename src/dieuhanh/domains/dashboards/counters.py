"""Named counters for counter widgets: small numbers a leader wants on the wall.

Each counter is registered once, by name, with how to count it for a unit and period, and
where a click leads. The indicators engine provides the data-supply counters here; later
domains register theirs here (citizen feedback below; alerts and cases later), and an
unknown counter is a validation error when the dashboard is shown, not a crash.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time

from sqlalchemy.orm import Session

from dieuhanh.core.db import read_cache
from dieuhanh.core.errors import ProblemError
from dieuhanh.core.i18n import N_
from dieuhanh.core.periods import Period
from dieuhanh.core.security import Actor
from dieuhanh.core.workdays import WorkCalendar
from dieuhanh.domains.feedback import service as feedback
from dieuhanh.domains.indicators import service as indicators
from dieuhanh.domains.units.schemas import UnitOut

CountFn = Callable[[Session, Actor, UnitOut, Period, WorkCalendar], int]
LinkFn = Callable[[UnitOut, Period], str]


@dataclass(frozen=True)
class Counter:
    name: str
    label: str  # an N_() msgid, translated when shown
    count: CountFn
    link: LinkFn
    # counts something other than indicator values (reports, cases): counted again on
    # every view, since kept dashboards follow the indicators' data version only
    volatile: bool = False


_COUNTERS: dict[str, Counter] = {}
_CACHE = "dashboards.freshness_counts"


def register(counter: Counter) -> None:
    _COUNTERS[counter.name] = counter


def get(name: str) -> Counter:
    found = _COUNTERS.get(name)
    if found is None:
        raise ProblemError("validation_error", detail=f"unknown counter {name!r}")
    return found


def names() -> list[str]:
    return sorted(_COUNTERS)


def any_volatile(counter_names: list[str]) -> bool:
    return any(_COUNTERS[n].volatile for n in counter_names if n in _COUNTERS)


def _freshness_count(status: str) -> CountFn:
    """How many active indicators of the unit are fresh / late / missing on today's map;
    the three counters share one assessment per read session and unit."""

    def count(
        db: Session, actor: Actor, unit: UnitOut, period: Period, calendar: WorkCalendar
    ) -> int:
        cache = read_cache(db, _CACHE)
        if cache is None:
            found = indicators.freshness_summary(
                db=db, actor=actor, unit=unit.code, calendar=calendar
            )
            return found.get(status, 0)
        if unit.id not in cache:
            cache[unit.id] = indicators.freshness_summary(
                db=db, actor=actor, unit=unit.code, calendar=calendar
            )
        counts: dict[str, int] = cache[unit.id]
        return counts.get(status, 0)

    return count


def _freshness_link(unit: UnitOut, _period: Period) -> str:
    return f"/indicators?unit={unit.code}"


register(
    Counter("indicators.late", N_("Indicators late"), _freshness_count("late"), _freshness_link)
)
register(
    Counter(
        "indicators.missing",
        N_("Indicators without data"),
        _freshness_count("missing"),
        _freshness_link,
    )
)
register(
    Counter(
        "indicators.fresh", N_("Indicators up to date"), _freshness_count("fresh"), _freshness_link
    )
)


# --- citizen feedback: reports in the unit's subtree, scoped like the staff list --------------


def _feedback_count(statuses: tuple[str, ...], *, overdue: bool | None, in_period: bool) -> CountFn:
    def count(
        db: Session, actor: Actor, unit: UnitOut, period: Period, calendar: WorkCalendar
    ) -> int:
        window: tuple[datetime | None, datetime | None] = (None, None)
        if in_period:  # the period's days in the province's time zone
            window = (
                datetime.combine(period.start, time.min, tzinfo=calendar.tz),
                datetime.combine(period.end, time.max, tzinfo=calendar.tz),
            )
        return feedback.count_reports(
            db=db,
            actor=actor,
            unit=unit.code,
            statuses=statuses,
            overdue=overdue,
            start=window[0],
            end=window[1],
        )

    return count


def _feedback_link(query: str) -> LinkFn:
    def link(unit: UnitOut, _period: Period) -> str:
        return f"/api/v1/feedback/reports?unit={unit.code}&{query}"

    return link


OPEN = ("new", "accepted", "paused")
register(
    Counter(
        "feedback.open",
        N_("Citizen reports being handled"),
        _feedback_count(OPEN, overdue=None, in_period=False),
        _feedback_link("status=new,accepted,paused"),
        volatile=True,
    )
)
register(
    Counter(
        "feedback.overdue",
        N_("Citizen reports overdue"),
        _feedback_count(OPEN, overdue=True, in_period=False),
        _feedback_link("status=new,accepted,paused&overdue=true"),
        volatile=True,
    )
)
register(
    Counter(
        "feedback.received",
        N_("Citizen reports received in the period"),
        _feedback_count((), overdue=None, in_period=True),
        _feedback_link(""),
        volatile=True,
    )
)
