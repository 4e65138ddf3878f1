"""A dashboard opened for one unit and period by one viewer: which unit (asked for, the
dashboard's own, the home province, or the viewer's scope), which period (asked for, else
the latest complete one), and the breadcrumbs above it. Kept apart from the widget data so
the pages, the cache's recipes and the wall resolve a view the same way."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from dieuhanh.core.errors import ProblemError
from dieuhanh.core.periods import Period, PeriodError, PeriodType
from dieuhanh.core.security import Actor
from dieuhanh.core.workdays import WorkCalendar
from dieuhanh.domains.dashboards import live
from dieuhanh.domains.dashboards.catalog import READ, require_action
from dieuhanh.domains.dashboards.schemas import DashboardOut, UnitLink
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

    def link(self, path: str, unit: str | None = None) -> str:
        return f"{path}?unit={unit or self.unit.code}&period={self.period}"


def default_period(period_type: str, today: date) -> Period:
    """The latest complete period of the type: last month, last quarter, last year…"""
    kind = PeriodType(period_type)
    return Period.containing(kind, today).previous()


def parse_period(text: str | None, period_type: str, today: date) -> Period:
    if not text:
        return default_period(period_type, today)
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
) -> View:
    """The unit asked for (else the dashboard's own, else the home province, else the
    viewer's scope root) and the period (else the latest complete one)."""
    require_action(actor, READ)
    day = today or units.today()
    when = parse_period(period, dashboard.period_type, day)
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
    return View(db, actor, found, found.hierarchy, when, locale, calendar, day, hub)


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
