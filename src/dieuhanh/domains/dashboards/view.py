"""A dashboard opened for one unit and period by one viewer: which unit (asked for, the
dashboard's own, the home province, or the viewer's scope), which period (asked for, else
the latest complete one), in which calendar, and the breadcrumbs above it. Kept apart from
the widget data so the pages, the cache's recipes and the wall resolve a view the same way.

**Calendars.** A view reads its period in the ordinary calendar or as a Decree 09/2019
reporting period (``reporting``; the dashboard's ``reporting_calendar`` unless the reader
chose). Values are stored under the nominal period either way (Tháng 7/2026 is the report
for 15/06–14/07), so the numbers for a period code are the same; what the calendar decides
is which period is the latest *closed* one (on 22/11 the Decree-09 month 2026-11, closed on
the 14th, but the calendar month 2026-10), how periods are labelled (with their window of
days under the decree) and where a year to date starts (15/12 of the previous year).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import get_args

from sqlalchemy.orm import Session

from dieuhanh.core.errors import ProblemError
from dieuhanh.core.periods import Period, PeriodError, label
from dieuhanh.core.reporting_periods import (
    CalendarName,
    latest_closed,
    window_label,
    window_of,
    ytd_label,
)
from dieuhanh.core.security import Actor
from dieuhanh.core.workdays import WorkCalendar
from dieuhanh.domains.dashboards import live
from dieuhanh.domains.dashboards.catalog import READ, require_action
from dieuhanh.domains.dashboards.schemas import (
    DashboardOut,
    PeriodWindow,
    ReportingCalendar,
    UnitLink,
)
from dieuhanh.domains.units import service as units
from dieuhanh.domains.units.schemas import UnitOut

CHILD_LEVEL = {"nation": "province", "province": "commune", "district": "commune"}


@dataclass(frozen=True)
class View:
    """One dashboard opened for one unit and period by one viewer."""

    db: Session
    actor: Actor
    unit: UnitOut
    hierarchy: str
    period: Period
    locale: str
    calendar: WorkCalendar
    today: date
    hub: live.LiveHub | None = None
    reporting: CalendarName = "calendar"
    reporting_default: CalendarName = "calendar"

    def link(self, path: str, unit: str | None = None) -> str:
        return f"{path}?unit={unit or self.unit.code}&period={self.period}"

    @property
    def calendar_param(self) -> str | None:
        """``calendar=`` for links that stay in this view's calendar: only when it is not
        the dashboard's own (absent means the dashboard's default)."""
        return self.reporting if self.reporting != self.reporting_default else None

    def dashboard_link(self, code: str, unit: str) -> str:
        """The same dashboard for another unit, in the same period and calendar."""
        extra = f"&calendar={self.calendar_param}" if self.calendar_param else ""
        return f"/dashboards/{code}?unit={unit}&period={self.period}{extra}"

    def period_label(self, period: Period | str, engine_label: str | None = None) -> str:
        """A period as this view names it: under Decree 09 with its window of days; in the
        calendar the engine's own label (which shows the window for Decree-09 indicators)
        when there is one, else the plain label."""
        when = Period.parse(period) if isinstance(period, str) else period
        if self.reporting == "decree09":
            return window_label(when, self.locale, "decree09")
        return engine_label if engine_label is not None else label(when, self.locale)

    def ytd_label(self, period: Period | str) -> str:
        """The year to date to ``period`` (under Decree 09 from 15/12 of the year before)."""
        when = Period.parse(period) if isinstance(period, str) else period
        return ytd_label(when, self.locale, self.reporting)

    def period_window(self) -> PeriodWindow:
        """First and last day of the period shown."""
        first, last = window_of(self.period, self.reporting)
        return PeriodWindow(first=first, last=last)


def reporting_calendar(value: str | None, default: str) -> CalendarName:
    """The calendar asked for, else the dashboard's; ``validation_error`` for anything else
    (the routes refuse it first; the CLI and other callers pass text)."""
    chosen = value or default
    if chosen == "decree09":
        return "decree09"
    if chosen == "calendar":
        return "calendar"
    allowed = ", ".join(get_args(ReportingCalendar))
    raise ProblemError(
        "validation_error",
        detail=f"unknown calendar {chosen!r}; use one of {allowed}",
        errors=[
            {
                "location": ["query", "calendar"],
                "message": f"Input should be one of {allowed}",
                "type": "literal_error",
            }
        ],
    )


def default_period(period_type: str, today: date, calendar: CalendarName = "calendar") -> Period:
    """The latest closed period of the type in the calendar: last month, last quarter…
    (under Decree 09 the month closed on the 14th)."""
    return latest_closed(period_type, today, calendar)


def parse_period(
    text: str | None, period_type: str, today: date, calendar: CalendarName = "calendar"
) -> Period:
    if not text:
        return default_period(period_type, today, calendar)
    try:
        return Period.parse(text)
    except PeriodError as exc:
        raise ProblemError("invalid_period", detail=str(exc)) from None


def resolve_view(
    *,
    db: Session,
    actor: Actor,
    dashboard: DashboardOut,
    unit: str | None,
    period: str | None,
    home_province: str,
    locale: str,
    calendar: WorkCalendar,
    today: date | None = None,
    hub: live.LiveHub | None = None,
    reporting: str | None = None,
) -> View:
    """The unit asked for (else the dashboard's own, else the home province, else the
    viewer's scope root), the calendar (else the dashboard's) and the period (else the
    latest closed one in that calendar)."""
    require_action(actor, READ)
    day = today or units.today()
    default = reporting_calendar(None, dashboard.reporting_calendar)
    chosen = reporting_calendar(reporting, default)
    when = parse_period(period, dashboard.period_type, day, chosen)
    hierarchy = units.hierarchy_for(when.end)
    code = unit or dashboard.unit or home_province
    try:
        found = units.get_unit(
            db=db, code=code, hierarchy=hierarchy, scope_unit_id=actor.scope_unit_id
        )
    except ProblemError:
        if unit or actor.scope_unit_id is None:
            raise
        found = units.get_unit_by_id(db=db, unit_id=actor.scope_unit_id)
    return View(
        db,
        actor,
        found,
        found.hierarchy,
        when,
        locale,
        calendar,
        day,
        hub,
        reporting=chosen,
        reporting_default=default,
    )


def breadcrumbs(view: View) -> list[UnitLink]:
    """From the top the viewer may see down to the unit."""
    chain = [*units.ancestors(db=view.db, unit_id=view.unit.id), view.unit]
    scope = view.actor.scope_unit_id
    if scope is not None:
        ids = [u.id for u in chain]
        chain = chain[ids.index(scope) :] if scope in ids else [view.unit]
    return [UnitLink(code=u.code, name=u.name, level=u.level) for u in chain]


def child_level(unit: UnitOut) -> str | None:
    return CHILD_LEVEL.get(unit.level)
