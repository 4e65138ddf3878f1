"""Dashboards JSON API under ``/api/v1/dashboards``, the wall playlists under
``/api/v1/wall``, and the live event stream ``/api/v1/live`` (server-sent events).

Reading needs ``dashboards.read`` (every signed-in role; units stay scoped), editing
``dashboards.manage`` (administrators), playlists ``wall.view`` / ``wall.manage``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from openpyxl import Workbook
from starlette.responses import JSONResponse, Response, StreamingResponse

from dieuhanh.core.http import (
    CurrentActor,
    DbSession,
    Locale,
    Page,
    Pagination,
    get_settings,
    require,
)
from dieuhanh.core.workdays import WorkCalendar
from dieuhanh.domains.dashboards import service
from dieuhanh.domains.dashboards.live import RETRY_MS, LiveHub, sse
from dieuhanh.domains.dashboards.schemas import (
    DASHBOARD_CODE_PATTERN,
    WIDGET_ID_PATTERN,
    DashboardData,
    DashboardIn,
    DashboardOut,
    DashboardPatch,
    DashboardSummary,
    PlaylistIn,
    PlaylistOut,
    ReportingCalendar,
)

router = APIRouter(prefix="/api/v1", tags=["dashboards"])

READ = [require("dashboards.read")]
MANAGE = [require("dashboards.manage")]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Code = Annotated[str, Path(pattern=DASHBOARD_CODE_PATTERN, description="Dashboard code")]
WidgetId = Annotated[str, Path(pattern=WIDGET_ID_PATTERN, description="Widget id")]
UnitParam = Annotated[
    str | None,
    Query(max_length=64, description="Unit code (default: the dashboard's, else the province)"),
]
PeriodParam = Annotated[
    str | None,
    Query(max_length=16, description="2026-10, 2026Q3, 2026… (default: the latest complete)"),
]
CalendarParam = Annotated[
    ReportingCalendar | None,
    Query(
        description="calendar (ordinary months) or decree09 (Decree 09/2019 reporting periods, "
        "15th to 14th); default: the dashboard's own. Links in the answer keep it."
    ),
]


def calendar_of(request: Request) -> WorkCalendar:
    calendar: WorkCalendar = request.app.state.workdays
    return calendar


def hub_of(request: Request) -> LiveHub:
    hub: LiveHub = request.app.state.live
    return hub


def load_data(
    request: Request,
    db: Any,
    actor: Any,
    locale: str,
    code: str,
    unit: str | None,
    period: str | None,
    widgets: list[str] | None = None,
    calendar: str | None = None,
) -> DashboardData:
    """Shared by the JSON route, the pages and the downloads (``calendar`` is the reporting
    calendar, ``None`` for the dashboard's own)."""
    return service.show_dashboard(
        db=db,
        actor=actor,
        code=code,
        unit=unit,
        period=period,
        home_province=get_settings(request).home_province,
        calendar=calendar_of(request),
        locale=locale,
        hub=hub_of(request),
        cache=request.app.state.dashboard_cache,
        widgets=widgets,
        reporting_calendar=calendar,
    )


@router.get("/dashboards", response_model=Page[DashboardSummary], dependencies=READ)
def list_dashboards(
    db: DbSession,
    actor: CurrentActor,
    locale: Locale,
    paging: Pagination,
    component: Annotated[str | None, Query(max_length=64)] = None,
) -> Page[DashboardSummary]:
    """The dashboards you may open, headline ones first."""
    found = service.list_dashboards(db=db, actor=actor, component=component, locale=locale)
    limit, offset = paging
    return Page(items=found[offset : offset + limit], total=len(found), limit=limit, offset=offset)


@router.post("/dashboards", status_code=201, response_model=DashboardOut, dependencies=MANAGE)
def create_dashboard(
    db: DbSession, actor: CurrentActor, locale: Locale, data: DashboardIn
) -> DashboardOut:
    """A new local dashboard (its widgets are validated by type)."""
    return service.create_dashboard(db=db, actor=actor, data=data, locale=locale)


@router.get("/dashboards/geo/{unit}", dependencies=READ)
def child_geometry(
    db: DbSession,
    actor: CurrentActor,
    unit: Annotated[str, Path(max_length=64)],
    hierarchy: Annotated[str, Query(pattern="^(legacy|2025)$")] = "2025",
) -> JSONResponse:
    """The outlines of a unit's children (GeoJSON, ids are unit codes), for map widgets."""
    body = service.child_geometry(db=db, actor=actor, unit=unit, hierarchy=hierarchy)
    return JSONResponse(
        body, media_type="application/geo+json", headers={"Cache-Control": "max-age=3600"}
    )


@router.get("/dashboards/{code}", response_model=DashboardOut, dependencies=READ)
def get_dashboard(db: DbSession, actor: CurrentActor, locale: Locale, code: Code) -> DashboardOut:
    """One dashboard's definition (``tong-quan`` is the composed home page)."""
    return service.open_dashboard(db=db, actor=actor, code=code, locale=locale)


@router.patch("/dashboards/{code}", response_model=DashboardOut, dependencies=MANAGE)
def update_dashboard(
    db: DbSession, actor: CurrentActor, locale: Locale, code: Code, patch: DashboardPatch
) -> DashboardOut:
    """Change a dashboard; ``version_conflict`` (409) if someone saved since you read it."""
    return service.update_dashboard(db=db, actor=actor, code=code, patch=patch, locale=locale)


@router.delete("/dashboards/{code}", status_code=204, dependencies=MANAGE)
def delete_dashboard(db: DbSession, actor: CurrentActor, code: Code) -> Response:
    service.delete_dashboard(db=db, actor=actor, code=code)
    return Response(status_code=204)


@router.get("/dashboards/{code}/data", response_model=DashboardData, dependencies=READ)
def dashboard_data(
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    locale: Locale,
    code: Code,
    unit: UnitParam = None,
    period: PeriodParam = None,
    widgets: Annotated[
        str | None,
        Query(
            max_length=2000,
            pattern=r"^[a-z][a-z0-9_-]{0,31}(,[a-z][a-z0-9_-]{0,31})*$",
            description="Only these widget ids, comma-separated (live refreshes)",
        ),
    ] = None,
    calendar: CalendarParam = None,
) -> DashboardData:
    """Every widget's data for one unit and period (see ``dashboards.data`` for shapes);
    with ``widgets``, only those (the answer's ``dashboard.widgets`` lists them alone).
    ``calendar=decree09`` reads the period as a Decree-09 reporting period: the latest
    closed one by default, labels and ``period_window`` with its days."""
    only = widgets.split(",") if widgets else None
    return load_data(request, db, actor, locale, code, unit, period, only, calendar)


def _filename(data: DashboardData, widget: str, ext: str) -> str:
    return f"{data.dashboard.code}_{widget}_{data.unit.code}_{data.period}.{ext}"


@router.get(
    "/dashboards/{code}/widgets/{widget}/data.csv",
    dependencies=[require("dashboards.export")],
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
def widget_csv(
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    locale: Locale,
    code: Code,
    widget: WidgetId,
    unit: UnitParam = None,
    period: PeriodParam = None,
    calendar: CalendarParam = None,
) -> Response:
    """One widget's data as UTF-8 CSV (with a BOM, so Excel reads the diacritics)."""
    data = load_data(request, db, actor, locale, code, unit, period, calendar=calendar)
    header, rows = service.widget_table(data, widget)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    return Response(
        ("\ufeff" + out.getvalue()).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{_filename(data, widget, "csv")}"'},
    )


@router.get(
    "/dashboards/{code}/widgets/{widget}/data.xlsx",
    dependencies=[require("dashboards.export")],
    response_class=Response,
    responses={200: {"content": {XLSX: {}}}},
)
def widget_xlsx(
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    locale: Locale,
    code: Code,
    widget: WidgetId,
    unit: UnitParam = None,
    period: PeriodParam = None,
    calendar: CalendarParam = None,
) -> Response:
    """One widget's data as an Excel workbook (numbers stay numbers)."""
    data = load_data(request, db, actor, locale, code, unit, period, calendar=calendar)
    header, rows = service.widget_table(data, widget)
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook always has one sheet
    sheet.title = widget[:31]
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return Response(
        buffer.getvalue(),
        media_type=XLSX,
        headers={
            "Content-Disposition": f'attachment; filename="{_filename(data, widget, "xlsx")}"'
        },
    )


# --- the wall's playlists --------------------------------------------------------------------


@router.get(
    "/wall/playlists", response_model=Page[PlaylistOut], dependencies=[require("wall.view")]
)
def list_playlists(db: DbSession, actor: CurrentActor, paging: Pagination) -> Page[PlaylistOut]:
    """The stored playlists (the wall uses ``mac-dinh`` while there are none)."""
    found = service.list_playlists(db=db, actor=actor)
    limit, offset = paging
    return Page(items=found[offset : offset + limit], total=len(found), limit=limit, offset=offset)


@router.get(
    "/wall/playlists/{code}", response_model=PlaylistOut, dependencies=[require("wall.view")]
)
def get_playlist(db: DbSession, actor: CurrentActor, code: Code) -> PlaylistOut:
    """A playlist; ``mac-dinh`` is the default one while none is stored."""
    return service.get_playlist(db=db, actor=actor, code=code)


@router.put(
    "/wall/playlists/{code}", response_model=PlaylistOut, dependencies=[require("wall.manage")]
)
def put_playlist(db: DbSession, actor: CurrentActor, code: Code, data: PlaylistIn) -> PlaylistOut:
    """Create or replace a playlist (the code in the path wins)."""
    return service.save_playlist(db=db, actor=actor, data=data.model_copy(update={"code": code}))


# --- live ----------------------------------------------------------------------------------


@router.get(
    "/live",
    dependencies=[require("live.read")],
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def live(
    request: Request,
    topics: Annotated[
        str,
        Query(
            max_length=500,
            pattern=r"^[a-z*][a-z0-9_.*]*(,[a-z*][a-z0-9_.*]*)*$",
            description="Comma-separated topic patterns, e.g. indicators.*",
        ),
    ] = "*",
) -> StreamingResponse:
    """Server-sent events: one per bus event (``event:`` is the topic, ``data:`` JSON), a
    comment every 15 s to keep proxies open; the browser reconnects after 2 s by itself."""
    hub = hub_of(request)
    patterns = [t for t in topics.split(",") if t]

    async def body() -> AsyncIterator[str]:
        yield f"retry: {RETRY_MS}\n: connected\n\n"
        number = 0
        async for event in hub.stream(patterns):
            if await request.is_disconnected():
                return
            number += 1
            yield sse(event, number)

    return StreamingResponse(
        body(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
