"""Catalog JSON API under ``/api/v1/indicators``: definitions, history, dimensions, rules,
targets.

The indicator code in paths uses the ``indicator_code`` convertor (upper case, digits and
``_``), not a plain ``{code}``: this router is included before the data, query and export
routers of the same prefix, and a catch-all ``/{code}`` would answer ``GET /data`` or
``GET /export`` in their place. Lower-case segments never match an indicator code, so those
routes stay reachable whatever the order.

Reading needs ``indicators.read`` (plans included: progress toward them is shown to every
reader anyway, within their unit scope); changing definitions and rules needs
``indicators.manage`` (administrators); setting plans ``indicators.targets`` (administrators
and leaders), within the caller's unit scope.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query
from starlette.convertors import Convertor, register_url_convertor

from dieuhanh.core.http import CurrentActor, DbSession, Page, Pagination, require
from dieuhanh.core.security import Actor
from dieuhanh.domains.indicators import service
from dieuhanh.domains.indicators.schemas import (
    CODE_PATTERN,
    DimensionOut,
    HierarchyName,
    IndicatorIn,
    IndicatorOut,
    IndicatorPatch,
    IndicatorVersionOut,
    RuleIn,
    RuleOut,
    RulePatch,
    TargetIn,
    TargetOut,
)
from dieuhanh.domains.units import service as units_service


class IndicatorCodeConvertor(Convertor[str]):
    """Path segments that can be indicator codes (``GRDP_GROWTH``), and nothing else."""

    regex = CODE_PATTERN.removeprefix("^").removesuffix("$")

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        if not re.fullmatch(CODE_PATTERN, value):
            raise ValueError(f"not an indicator code: {value!r}")
        return value


register_url_convertor("indicator_code", IndicatorCodeConvertor())

router = APIRouter(prefix="/api/v1/indicators", tags=["indicators"])

CODE = "{code:indicator_code}"
Code = Annotated[str, Path(description="Indicator code, e.g. GRDP_GROWTH")]
RuleCode = Annotated[str, Path(pattern=CODE_PATTERN, description="Rule code")]
MAX_TARGET_ROWS = 10_000


def _page(items: list[Any], total: int, page: tuple[int, int]) -> dict[str, Any]:
    return {"items": items, "total": total, "limit": page[0], "offset": page[1]}


def _slice(items: list[Any], page: tuple[int, int]) -> dict[str, Any]:
    return _page(items[page[1] : page[1] + page[0]], len(items), page)


# --- static paths first ----------------------------------------------------------------------


@router.get("", response_model=Page[IndicatorOut], dependencies=[require("indicators.read")])
def list_indicators(
    db: DbSession,
    page: Pagination,
    q: Annotated[
        str | None,
        Query(max_length=200, description="Words of the code or names, accents optional"),
    ] = None,
    sector: Annotated[str | None, Query(max_length=64)] = None,
    component: Annotated[str | None, Query(max_length=64)] = None,
    include_inactive: Annotated[bool, Query(description="Also retired indicators")] = False,
) -> dict[str, Any]:
    """The catalog, by component, sector and code."""
    items, total = service.list_indicators(
        db=db,
        q=q,
        sector=sector,
        component=component,
        include_inactive=include_inactive,
        limit=page[0],
        offset=page[1],
    )
    return _page(items, total, page)


@router.post(
    "",
    response_model=IndicatorOut,
    status_code=201,
    dependencies=[require("indicators.manage")],
)
def create_indicator(body: IndicatorIn, db: DbSession, actor: CurrentActor) -> IndicatorOut:
    """Add an indicator; its definition becomes version 1."""
    return service.create_indicator(db=db, actor=actor, data=body)


@router.get(
    "/dimensions",
    response_model=Page[DimensionOut],
    dependencies=[require("indicators.read")],
)
def list_dimensions(db: DbSession, page: Pagination) -> dict[str, Any]:
    """Disaggregation dimensions (sex, area, age group…) and their categories."""
    return _slice(service.list_dimensions(db=db), page)


@router.get("/rules", response_model=Page[RuleOut], dependencies=[require("indicators.read")])
def list_rules(
    db: DbSession,
    page: Pagination,
    component: Annotated[str | None, Query(max_length=64)] = None,
    include_inactive: bool = False,
) -> dict[str, Any]:
    """Validation rules checked on every write."""
    items, total = service.list_rules(
        db=db,
        component=component,
        include_inactive=include_inactive,
        limit=page[0],
        offset=page[1],
    )
    return _page(items, total, page)


@router.post(
    "/rules",
    response_model=RuleOut,
    status_code=201,
    dependencies=[require("indicators.manage")],
)
def create_rule(body: RuleIn, db: DbSession, actor: CurrentActor) -> RuleOut:
    """Add a rule ``left operator right``; both sides must name existing indicators."""
    return service.create_rule(db=db, actor=actor, data=body)


@router.get("/rules/{rule_code}", response_model=RuleOut, dependencies=[require("indicators.read")])
def get_rule(rule_code: RuleCode, db: DbSession) -> RuleOut:
    return service.get_rule(db=db, code=rule_code)


@router.patch(
    "/rules/{rule_code}", response_model=RuleOut, dependencies=[require("indicators.manage")]
)
def update_rule(
    rule_code: RuleCode, body: RulePatch, db: DbSession, actor: CurrentActor
) -> RuleOut:
    """Change the fields sent."""
    return service.update_rule(db=db, actor=actor, code=rule_code, data=body)


# --- one indicator ---------------------------------------------------------------------------


@router.get(f"/{CODE}", response_model=IndicatorOut, dependencies=[require("indicators.read")])
def get_indicator(code: Code, db: DbSession) -> IndicatorOut:
    """One indicator's current definition (retired ones too)."""
    return service.get_indicator(db=db, code=code)


@router.patch(f"/{CODE}", response_model=IndicatorOut, dependencies=[require("indicators.manage")])
def update_indicator(
    code: Code, body: IndicatorPatch, db: DbSession, actor: CurrentActor
) -> IndicatorOut:
    """Change the fields sent; a real change is a new version, an identical one is not."""
    return service.update_indicator(db=db, actor=actor, code=code, data=body)


@router.get(
    f"/{CODE}/versions",
    response_model=Page[IndicatorVersionOut],
    dependencies=[require("indicators.read")],
)
def indicator_versions(code: Code, db: DbSession, page: Pagination) -> dict[str, Any]:
    """Every definition the indicator had, newest first, with who changed it and when."""
    return _slice(service.indicator_history(db=db, code=code), page)


def _scope(actor: Actor) -> int | None:
    return actor.scope_unit_id if actor.is_authenticated else None


@router.put(
    f"/{CODE}/targets",
    response_model=Page[TargetOut],
    dependencies=[require("indicators.targets")],
)
def put_targets(
    code: Code,
    db: DbSession,
    actor: CurrentActor,
    body: Annotated[list[TargetIn], Body(max_length=MAX_TARGET_ROWS)],
) -> dict[str, Any]:
    """Replace the plan of every unit-year sent (annual ``month: 0`` and/or months 1–12);
    all or nothing."""
    written = service.set_targets(db=db, actor=actor, code=code, rows=body)
    return {"items": written, "total": len(written), "limit": len(written), "offset": 0}


@router.get(
    f"/{CODE}/targets",
    response_model=Page[TargetOut],
    dependencies=[require("indicators.read")],
)
def get_targets(
    code: Code,
    db: DbSession,
    actor: CurrentActor,
    page: Pagination,
    unit: Annotated[str | None, Query(max_length=64, description="Unit code")] = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    hierarchy: Annotated[HierarchyName | None, Query()] = None,
) -> dict[str, Any]:
    """Plans in the caller's scope; ``unit`` is read on the map in force at the end of
    ``year`` (or today) unless ``hierarchy`` says otherwise."""
    scope = _scope(actor)
    unit_id = None
    if unit is not None:
        unit_id = units_service.get_unit(
            db=db,
            code=unit,
            as_of=date(year, 12, 31) if year else None,
            hierarchy=hierarchy,
            scope_unit_id=scope,
        ).id
    items = service.get_targets(db=db, code=code, unit_id=unit_id, year=year, scope_unit_id=scope)
    return _slice(items, page)
