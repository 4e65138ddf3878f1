"""The home page "Tổng quan": the province at a glance (its units and agencies), then the
composed ``tong-quan`` dashboard — every component's headline tiles and the first headline
dashboard's map, ranking and chart — for that province (see ``dashboards.pages``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from dieuhanh.core.http import CurrentActor, DbSession, get_settings, require
from dieuhanh.core.pages import page_locale, render
from dieuhanh.core.security import Actor
from dieuhanh.domains.dashboards import pages as dashboard_pages
from dieuhanh.domains.dashboards import service as dashboards
from dieuhanh.domains.dashboards.api import CalendarParam, load_data
from dieuhanh.domains.units import service as units_service
from dieuhanh.domains.units.schemas import HomeSummary

router = APIRouter(tags=["pages"], include_in_schema=False)


def _province_for(actor: Actor, request: Request, db: DbSession) -> HomeSummary:
    """The installation's home province, unless the actor is scoped to another province."""
    home_code = get_settings(request).home_province
    summary = units_service.home_summary(db=db, province_code=home_code)
    scope = actor.scope_unit_id
    if scope is None or units_service.is_within(
        db=db, unit_id=summary.unit.id, scope_unit_id=scope
    ):
        return summary
    own = units_service.get_unit_by_id(db=db, unit_id=scope)
    chain = [own, *reversed(units_service.ancestors(db=db, unit_id=own.id))]
    province = next((u for u in chain if u.level == "province"), None)
    if province is None:
        return summary
    return units_service.home_summary(db=db, province_code=province.code)


@router.get("/", dependencies=[require("home.view")])
def home(
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    period: Annotated[str | None, Query(max_length=16)] = None,
    calendar: CalendarParam = None,
) -> Response:
    """The summary strip of the province, then its overview dashboard for ``period``
    (default: the latest complete month); drilling down opens ``/dashboards/tong-quan``."""
    summary = _province_for(actor, request, db)
    scope = actor.scope_unit_id
    # a reader scoped below the province gets the overview of their own unit
    inside = scope is None or units_service.is_within(
        db=db, unit_id=summary.unit.id, scope_unit_id=scope
    )
    unit = summary.unit.code if inside else None
    data = load_data(
        request, db, actor, page_locale(request), dashboards.HOME_CODE, unit, period, None, calendar
    )
    context = dashboard_pages.board_context(request, actor, data, period_base="/", keep_unit=False)
    context["summary"] = summary
    return render(request, "home/index.html", context)
