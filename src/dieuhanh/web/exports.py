"""Dashboards as PNG and PDF: the page itself, printed by the system's headless Chromium.

The browser opens the dashboard on this very server with the requester's cookies, so the
picture shows exactly what that person sees (their scope, their language) and nothing more.
It waits until ``dashboard.js`` marks the board drawn (an element with ``data-ready="1"``)
and no map is still waiting for its outlines or tiles (``data-ready="0"``, which a map over a
tile server leaves after a few seconds even when the tiles never come).
"""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from dieuhanh.core.errors import ProblemError
from dieuhanh.core.http import CurrentActor, DbSession, Locale, require
from dieuhanh.domains.dashboards import api as dashboards_api
from dieuhanh.domains.dashboards import service as dashboards
from dieuhanh.domains.dashboards.schemas import DASHBOARD_CODE_PATTERN
from dieuhanh.integrations import chromium

router = APIRouter(tags=["dashboards"])

MEDIA = {"png": "image/png", "pdf": "application/pdf"}
BOARD_READY = (
    "document.querySelector('[data-ready=\"1\"]') !== null"
    " && document.querySelector('[data-ready=\"0\"]') === null"
)


def _self_url(request: Request, path: str, params: dict[str, str]) -> str:
    """This server as the browser next to it reaches it (loopback, same port)."""
    host, port = request.scope.get("server") or ("127.0.0.1", 8000)
    host = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104 - not a bind
    query = urlencode({k: v for k, v in params.items() if v})
    return f"http://{host}:{port}{path}" + (f"?{query}" if query else "")


@router.get(
    "/api/v1/dashboards/{code}/export.{kind}",
    dependencies=[require("dashboards.export")],
    response_class=Response,
    responses={200: {"content": {"image/png": {}, "application/pdf": {}}}},
)
def export_dashboard(
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    locale: Locale,
    code: Annotated[str, Path(pattern=DASHBOARD_CODE_PATTERN)],
    kind: Annotated[Literal["png", "pdf"], Path(description="png or pdf")],
    unit: Annotated[str | None, Query(max_length=64)] = None,
    period: Annotated[str | None, Query(max_length=16)] = None,
    width: Annotated[int, Query(ge=390, le=3840, description="Viewport width (PNG)")] = 1920,
    height: Annotated[int, Query(ge=600, le=2160, description="Viewport height (PNG)")] = 1080,
) -> Response:
    """The dashboard for a unit and period as a full-page PNG or a landscape A4 PDF."""
    # unknown dashboard, unit out of scope or bad period: the same error as the page's, and
    # the result is then in the cache for the browser's own request
    dashboards_api.load_data(request, db, actor, locale, code, unit, period)
    path = "/" if code == dashboards.HOME_CODE else f"/dashboards/{code}"
    url = _self_url(request, path, {"unit": unit or "", "period": period or ""})
    cookies = [chromium.Cookie(name, value) for name, value in request.cookies.items()]
    settings = request.app.state.settings
    try:
        body = chromium.capture(
            url,
            executable=settings.chromium_path,
            cookies=cookies,
            kind=kind,
            width=width,
            height=height,
            ready=BOARD_READY,
        )
    except chromium.RenderError as exc:
        raise ProblemError("service_unavailable", detail=str(exc)) from exc
    name = f"{code}_{unit or 'mac-dinh'}_{period or 'moi-nhat'}.{kind}"
    return Response(
        body,
        media_type=MEDIA[kind],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
