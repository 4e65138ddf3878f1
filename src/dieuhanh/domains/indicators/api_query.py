"""Query JSON API under ``/api/v1/indicators``: series, cross-sections, tables, one value with
its plan, explanations, freshness and a unit's overview.

Every route needs ``indicators.read`` and answers only for units inside the caller's scope
(``out_of_scope`` otherwise). Units, indicators and periods are named by their codes; a bad
period is ``invalid_period`` (422), an unknown indicator ``indicator_not_found`` (404).
``as_of`` (or ``hierarchy``) states the map the answer is on: before 2025-07-01 the legacy
63 provinces, from then the 34; data of the other map is carried over through the
successions and flagged ``remapped``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from dieuhanh.core.http import CurrentActor, DbSession, Locale, Pagination, require
from dieuhanh.core.workdays import WorkCalendar
from dieuhanh.domains.indicators import service
from dieuhanh.domains.indicators.schemas import HierarchyName
from dieuhanh.domains.indicators.schemas_query import (
    CrossSectionOut,
    ExplainOut,
    FreshnessOut,
    OverviewOut,
    SeriesOut,
    TableOut,
    ValueOut,
)

router = APIRouter(prefix="/api/v1/indicators", tags=["indicator queries"])

CODE = "{code:indicator_code}"
Code = Annotated[str, Path(description="Indicator code, e.g. GRDP_GROWTH")]
UnitCode = Annotated[str, Query(min_length=1, max_length=64, description="Unit code, e.g. 48")]
OptionalUnit = Annotated[str | None, Query(max_length=64, description="Unit code")]
Parent = Annotated[
    str | None,
    Query(max_length=64, description="Units of this unit (default: your scope, or Việt Nam)"),
]
LevelParam = Annotated[
    str | None,
    Query(
        pattern="^(province|district|commune)$",
        description="Every unit of this level inside the parent (default: its children)",
    ),
]
PeriodCode = Annotated[
    str, Query(min_length=4, max_length=16, description="2026, 2026S1, 2026Q3, 2026-07…")
]
PeriodType = Annotated[
    str | None,
    Query(
        pattern="^(day|week|month|quarter|half|year)$",
        description="Type of the periods (default: the indicator's cadence)",
    ),
]
From = Annotated[
    str | None,
    Query(alias="from", max_length=16, description="First period (any type: 2024 = Jan 2024)"),
]
To = Annotated[str | None, Query(alias="to", max_length=16, description="Last period")]
AsOf = Annotated[date | None, Query(description="The map in force on this date (default: today)")]
Hierarchy = Annotated[HierarchyName | None, Query(description="The map, explicitly")]
Disagg = Annotated[
    str | None,
    Query(max_length=128, description="One breakdown, e.g. sex=female;area=urban (default: total)"),
]
Ytd = Annotated[bool, Query(description="Year to date instead of the period alone")]


def _calendar(request: Request) -> WorkCalendar:
    calendar: WorkCalendar = request.app.state.workdays
    return calendar


@router.get(
    "/cross-section", response_model=CrossSectionOut, dependencies=[require("indicators.read")]
)
def cross_section(
    db: DbSession,
    actor: CurrentActor,
    locale: Locale,
    page: Pagination,
    period: PeriodCode,
    indicators: Annotated[
        str, Query(min_length=1, max_length=2000, description="Codes, comma-separated")
    ],
    parent: Parent = None,
    level: LevelParam = None,
    as_of: AsOf = None,
    hierarchy: Hierarchy = None,
    disagg: Disagg = None,
    ytd: Ytd = False,
) -> CrossSectionOut:
    """Units × indicators for one period, with the parent's own row as ``total_row``."""
    return service.cross_section(
        db=db,
        actor=actor,
        period=period,
        indicators=indicators.split(","),
        parent=parent,
        level=level,
        as_of=as_of,
        hierarchy=hierarchy,
        disagg=disagg,
        ytd=ytd,
        limit=page[0],
        offset=page[1],
        locale=locale,
    )


@router.get("/overview", response_model=OverviewOut, dependencies=[require("indicators.read")])
def overview(
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    locale: Locale,
    unit: UnitCode,
    period: PeriodCode,
    component: Annotated[str | None, Query(max_length=64, description="Only this pack")] = None,
    as_of: AsOf = None,
    hierarchy: Hierarchy = None,
) -> OverviewOut:
    """Every active indicator for one unit: value, year to date, change on last year,
    progress toward the plan with projection and status, and freshness."""
    return service.overview(
        db=db,
        actor=actor,
        unit=unit,
        period=period,
        calendar=_calendar(request),
        component=component,
        as_of=as_of,
        hierarchy=hierarchy,
        locale=locale,
    )


@router.get(f"/{CODE}/series", response_model=SeriesOut, dependencies=[require("indicators.read")])
def series(
    code: Code,
    db: DbSession,
    actor: CurrentActor,
    locale: Locale,
    unit: UnitCode,
    period_type: PeriodType = None,
    start: From = None,
    end: To = None,
    as_of: AsOf = None,
    hierarchy: Hierarchy = None,
    disagg: Disagg = None,
    ytd: Ytd = False,
) -> SeriesOut:
    """One unit over time: a point per period, ``null`` where nothing was reported."""
    return service.series(
        db=db,
        actor=actor,
        code=code,
        unit=unit,
        period_type=period_type,
        start=start,
        end=end,
        as_of=as_of,
        hierarchy=hierarchy,
        disagg=disagg,
        ytd=ytd,
        locale=locale,
    )


@router.get(f"/{CODE}/table", response_model=TableOut, dependencies=[require("indicators.read")])
def table(
    code: Code,
    db: DbSession,
    actor: CurrentActor,
    locale: Locale,
    page: Pagination,
    parent: Parent = None,
    level: LevelParam = None,
    period_type: PeriodType = None,
    start: From = None,
    end: To = None,
    as_of: AsOf = None,
    hierarchy: Hierarchy = None,
    disagg: Disagg = None,
    ytd: Ytd = False,
) -> TableOut:
    """Units × periods for one indicator, with the parent's own row as ``total_row``."""
    return service.query_table(
        db=db,
        actor=actor,
        code=code,
        parent=parent,
        level=level,
        period_type=period_type,
        start=start,
        end=end,
        as_of=as_of,
        hierarchy=hierarchy,
        disagg=disagg,
        ytd=ytd,
        limit=page[0],
        offset=page[1],
        locale=locale,
    )


@router.get(f"/{CODE}/value", response_model=ValueOut, dependencies=[require("indicators.read")])
def value(
    code: Code,
    db: DbSession,
    actor: CurrentActor,
    locale: Locale,
    unit: UnitCode,
    period: PeriodCode,
    as_of: AsOf = None,
    hierarchy: Hierarchy = None,
    disagg: Disagg = None,
) -> ValueOut:
    """One value with its year to date, the change on last year and progress to plan."""
    return service.query_value(
        db=db,
        actor=actor,
        code=code,
        unit=unit,
        period=period,
        as_of=as_of,
        hierarchy=hierarchy,
        disagg=disagg,
        locale=locale,
    )


@router.get(
    f"/{CODE}/explain", response_model=ExplainOut, dependencies=[require("indicators.read")]
)
def explain(
    code: Code,
    db: DbSession,
    actor: CurrentActor,
    locale: Locale,
    unit: UnitCode,
    period: PeriodCode,
    as_of: AsOf = None,
    hierarchy: Hierarchy = None,
    disagg: Disagg = None,
    ytd: Ytd = False,
) -> ExplainOut:
    """How a value was obtained: formula steps, aggregation, re-mapping and sources."""
    return service.explain(
        db=db,
        actor=actor,
        code=code,
        unit=unit,
        period=period,
        as_of=as_of,
        hierarchy=hierarchy,
        disagg=disagg,
        ytd=ytd,
        locale=locale,
    )


@router.get(
    f"/{CODE}/freshness", response_model=FreshnessOut, dependencies=[require("indicators.read")]
)
def freshness(
    code: Code,
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    locale: Locale,
    page: Pagination,
    parent: Parent = None,
    level: LevelParam = None,
    unit: OptionalUnit = None,
) -> FreshnessOut:
    """Per unit: has the latest expected period arrived by its deadline?"""
    return service.freshness(
        db=db,
        actor=actor,
        code=code,
        calendar=_calendar(request),
        parent=parent,
        level=level,
        unit=unit,
        limit=page[0],
        offset=page[1],
        locale=locale,
    )
