"""The home page: the province at a glance. Later components add their headline tiles."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from dieuhanh.core.http import CurrentActor, DbSession, get_settings, require
from dieuhanh.core.pages import render
from dieuhanh.core.security import Actor
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
def home(request: Request, db: DbSession, actor: CurrentActor) -> Response:
    summary = _province_for(actor, request, db)
    return render(request, "home/index.html", {"summary": summary})
