"""Units pages: browse the home province, and each unit with its before/after-2025 view.

Server-rendered (Jinja2); the commune filter works as a plain GET form and, with HTMX,
refreshes only the list as the visitor types. The province outline is drawn as inline SVG
computed here, so the page needs no map library and no script.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import RedirectResponse, Response

from dieuhanh.core.errors import ProblemError
from dieuhanh.core.http import CurrentActor, DbSession, get_settings, require
from dieuhanh.core.i18n import N_
from dieuhanh.core.pages import render
from dieuhanh.core.security import Actor
from dieuhanh.domains.units import service
from dieuhanh.domains.units.service import CURRENT, HierarchyCode

router = APIRouter(tags=["pages"], include_in_schema=False)

LEVEL_LABELS = {
    "nation": N_("Nation"),
    "province": N_("Province"),
    "district": N_("District"),
    "commune": N_("Commune"),
    "agency": N_("Agency"),
}
KIND_LABELS = {
    "merged": N_("Merged"),
    "split": N_("Split"),
    "renamed": N_("Renamed"),
    "continued": N_("Unchanged"),
    "converted": N_("Converted"),
    "absorbed": N_("Absorbed"),
}
HIERARCHY_LABELS = {
    "legacy": N_("Before 1 July 2025"),
    "2025": N_("Since 1 July 2025"),
}
LABELS = {"levels": LEVEL_LABELS, "kinds": KIND_LABELS, "hierarchies": HIERARCHY_LABELS}
LIST_LIMIT = 1000  # the largest province has a few hundred communes


def _scope(actor: Actor) -> int | None:
    return actor.scope_unit_id if actor.is_authenticated else None


def svg_outline(geometry: dict[str, Any] | None, size: int = 320) -> dict[str, str] | None:
    """An SVG ``viewBox`` and path for a (Multi)Polygon, in a locally equal-area projection."""
    if not geometry or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        return None
    polygons = (
        [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    )
    rings = [ring for polygon in polygons for ring in polygon]
    lats = [lat for ring in rings for _lon, lat, *_ in ring]
    lons = [lon for ring in rings for lon, _lat, *_ in ring]
    scale_x = math.cos(math.radians((min(lats) + max(lats)) / 2))
    width = (max(lons) - min(lons)) * scale_x or 1e-9
    height = (max(lats) - min(lats)) or 1e-9
    factor = size / max(width, height)

    def point(lon: float, lat: float) -> str:
        x = (lon - min(lons)) * scale_x * factor
        y = (max(lats) - lat) * factor
        return f"{x:.1f},{y:.1f}"

    path = " ".join(
        "M" + " L".join(point(lon, lat) for lon, lat, *_ in ring) + " Z" for ring in rings
    )
    return {"viewbox": f"0 0 {width * factor:.1f} {height * factor:.1f}", "path": path}


@router.get("/units", dependencies=[require("units.read")])
def units_index(
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    q: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """The home province: key figures, outline, departments and a filterable commune list."""
    settings = get_settings(request)
    scope = _scope(actor)
    summary = service.home_summary(db=db, province_code=settings.home_province)
    if scope is not None and not service.is_within(
        db=db, unit_id=summary.unit.id, scope_unit_id=scope
    ):
        own = service.get_unit_by_id(db=db, unit_id=scope)
        return RedirectResponse(f"/units/{own.code}?hierarchy={own.hierarchy}", status_code=303)
    communes, total = service.search_units(
        db=db,
        q=q,
        level="commune",
        parent=summary.unit.code,
        hierarchy=CURRENT,
        limit=LIST_LIMIT,
        scope_unit_id=scope,
    )
    context: dict[str, Any] = {"communes": communes, "total": total, "q": q or "", **LABELS}
    if request.headers.get("hx-request"):
        return render(request, "units/_communes.html", context)
    departments, _count = service.children(
        db=db, unit_id=summary.unit.id, level="agency", limit=LIST_LIMIT
    )
    geometry = summary.boundary["geometry"] if summary.boundary else None
    context.update(
        summary=summary,
        province=summary.unit,
        departments=departments,
        outline=svg_outline(geometry),
    )
    return render(request, "units/index.html", context)


@router.get("/units/{code}", dependencies=[require("units.read")])
def unit_detail(
    code: str,
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    hierarchy: HierarchyCode | None = None,
    as_of: date | None = None,
) -> Response:
    """One unit: breadcrumbs, facts, children, agencies, and what it was or became in 2025."""
    unit = service.get_unit(
        db=db, code=code, as_of=as_of, hierarchy=hierarchy, scope_unit_id=_scope(actor)
    )
    kids, total = service.children(db=db, unit_id=unit.id, limit=LIST_LIMIT)
    try:
        geometry = service.boundary(db=db, unit_id=unit.id)["geometry"]
    except ProblemError:
        geometry = None
    context: dict[str, Any] = {
        "unit": unit,
        "crumbs": service.ancestors(db=db, unit_id=unit.id),
        "units": [k for k in kids if k.level != "agency"],
        "agencies": [k for k in kids if k.level == "agency"],
        "children_total": total,
        "before": service.predecessors(db=db, unit_id=unit.id),
        "after": service.successors(db=db, unit_id=unit.id),
        "outline": svg_outline(geometry),
        **LABELS,
    }
    return render(request, "units/detail.html", context)
