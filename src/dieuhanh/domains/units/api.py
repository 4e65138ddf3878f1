"""Units JSON API: ``/api/v1/units``. Codes are the identifiers; ids never leave the server.

Reading is open to anonymous visitors (``units.read`` is public); a signed-in user sees only
their scope subtree (plus the legacy units succeeded into it), so routes pass
``actor.scope_unit_id`` to the service. Adding agencies needs ``units.manage``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from starlette.responses import JSONResponse

from dieuhanh.core.http import CurrentActor, DbSession, Page, Pagination, require
from dieuhanh.core.security import Actor
from dieuhanh.domains.units import service
from dieuhanh.domains.units.service import (
    AgencyCreate,
    HierarchyCode,
    Level,
    SuccessionOut,
    UnitOut,
)

router = APIRouter(prefix="/api/v1/units", tags=["units"])

Code = Annotated[
    str, Path(min_length=1, max_length=64, description="Unit code, e.g. 48, 20194, 48.SYT")
]
AsOf = Annotated[
    date | None,
    Query(description="Pick the hierarchy in force on this date (default: today)"),
]
Hierarchy = Annotated[
    HierarchyCode | None, Query(description="Pick a hierarchy version explicitly")
]


def _scope(actor: Actor) -> int | None:
    return actor.scope_unit_id if actor.is_authenticated else None


def _unit(
    db: DbSession, actor: Actor, code: str, as_of: date | None, hierarchy: str | None
) -> UnitOut:
    return service.get_unit(
        db=db, code=code, as_of=as_of, hierarchy=hierarchy, scope_unit_id=_scope(actor)
    )


def _page(items: list[Any], total: int, page: tuple[int, int]) -> dict[str, Any]:
    return {"items": items, "total": total, "limit": page[0], "offset": page[1]}


@router.get("", response_model=Page[UnitOut], dependencies=[require("units.read")])
def list_units(
    db: DbSession,
    actor: CurrentActor,
    page: Pagination,
    q: Annotated[
        str | None, Query(max_length=200, description="Words to find, accents optional")
    ] = None,
    level: Annotated[Level | None, Query(description="Only units of this level")] = None,
    parent: Annotated[
        str | None, Query(max_length=64, description="Only children of this unit code")
    ] = None,
    as_of: AsOf = None,
    hierarchy: Hierarchy = None,
) -> dict[str, Any]:
    """Search units of one hierarchy; every word of ``q`` must match (``da nang``, ``Đà Nẵng``)."""
    items, total = service.search_units(
        db=db,
        q=q,
        level=level,
        parent=parent,
        as_of=as_of,
        hierarchy=hierarchy,
        limit=page[0],
        offset=page[1],
        scope_unit_id=_scope(actor),
    )
    return _page(items, total, page)


@router.post(
    "",
    response_model=UnitOut,
    status_code=201,
    dependencies=[require("units.manage")],
)
def create_agency(body: AgencyCreate, db: DbSession, actor: CurrentActor) -> UnitOut:
    """Add a province's own agency under a current unit in the administrator's scope."""
    return service.create_agency(
        db=db,
        actor=actor,
        parent_code=body.parent,
        code=body.code,
        name=body.name,
        short_name=body.short_name,
        agency_kind=body.agency_kind,
        type=body.type,
    )


@router.get("/{code}", response_model=UnitOut, dependencies=[require("units.read")])
def get_unit(
    code: Code, db: DbSession, actor: CurrentActor, as_of: AsOf = None, hierarchy: Hierarchy = None
) -> UnitOut:
    """One unit by code, in the hierarchy valid on ``as_of`` (codes are reused across 2025)."""
    return _unit(db, actor, code, as_of, hierarchy)


@router.get("/{code}/children", response_model=Page[UnitOut], dependencies=[require("units.read")])
def get_children(
    code: Code,
    db: DbSession,
    actor: CurrentActor,
    page: Pagination,
    level: Annotated[Level | None, Query(description="Only children of this level")] = None,
    as_of: AsOf = None,
    hierarchy: Hierarchy = None,
) -> dict[str, Any]:
    """Direct children: administrative units first, then agencies."""
    unit = _unit(db, actor, code, as_of, hierarchy)
    items, total = service.children(
        db=db, unit_id=unit.id, level=level, limit=page[0], offset=page[1]
    )
    return _page(items, total, page)


@router.get("/{code}/ancestors", response_model=Page[UnitOut], dependencies=[require("units.read")])
def get_ancestors(
    code: Code,
    db: DbSession,
    actor: CurrentActor,
    page: Pagination,
    as_of: AsOf = None,
    hierarchy: Hierarchy = None,
) -> dict[str, Any]:
    """Breadcrumbs: the nation first, the parent last."""
    unit = _unit(db, actor, code, as_of, hierarchy)
    items = service.ancestors(db=db, unit_id=unit.id)
    return _page(items[page[1] : page[1] + page[0]], len(items), page)


@router.get(
    "/{code}/predecessors",
    response_model=Page[SuccessionOut],
    dependencies=[require("units.read")],
)
def get_predecessors(
    code: Code,
    db: DbSession,
    actor: CurrentActor,
    page: Pagination,
    as_of: AsOf = None,
    hierarchy: Hierarchy = None,
) -> dict[str, Any]:
    """What a 2025 unit was formed from, with the share of each predecessor it received."""
    unit = _unit(db, actor, code, as_of, hierarchy)
    items = service.predecessors(db=db, unit_id=unit.id)
    return _page(items[page[1] : page[1] + page[0]], len(items), page)


@router.get(
    "/{code}/successors",
    response_model=Page[SuccessionOut],
    dependencies=[require("units.read")],
)
def get_successors(
    code: Code,
    db: DbSession,
    actor: CurrentActor,
    page: Pagination,
    as_of: AsOf = None,
    hierarchy: Hierarchy = None,
) -> dict[str, Any]:
    """What a legacy unit became; a split commune has several successors, weights sum to 1."""
    unit = _unit(db, actor, code, as_of, hierarchy)
    items = service.successors(db=db, unit_id=unit.id)
    return _page(items[page[1] : page[1] + page[0]], len(items), page)


@router.get(
    "/{code}/boundary",
    dependencies=[require("units.read")],
    responses={200: {"content": {"application/geo+json": {}}}},
)
def get_boundary(
    code: Code, db: DbSession, actor: CurrentActor, as_of: AsOf = None, hierarchy: Hierarchy = None
) -> JSONResponse:
    """The unit's outline as a GeoJSON Feature (provinces only; coarse, not for legal use)."""
    unit = _unit(db, actor, code, as_of, hierarchy)
    feature = service.boundary(db=db, unit_id=unit.id)
    return JSONResponse(feature, media_type="application/geo+json")
