"""The application factory: the one place where domains, integrations and settings meet."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

import dieuhanh
from dieuhanh.core.db import Database, utcnow
from dieuhanh.core.events import Event, EventBus, install_bus
from dieuhanh.core.http import LOCALE_COOKIE, DbSession, get_settings, public
from dieuhanh.core.i18n import LOCALES, N_
from dieuhanh.core.jobs import Scheduler
from dieuhanh.core.logging import configure_logging
from dieuhanh.core.pages import NavItem, build_templates
from dieuhanh.core.settings import Settings
from dieuhanh.domains.auth import api as auth_api
from dieuhanh.domains.auth import pages as auth_pages
from dieuhanh.domains.auth import service as auth_service
from dieuhanh.domains.dashboards import api as dashboards_api
from dieuhanh.domains.dashboards import pages as dashboards_pages
from dieuhanh.domains.dashboards import pages_editor as dashboards_editor
from dieuhanh.domains.dashboards import service as dashboards_service
from dieuhanh.domains.dashboards.cache import DashboardCache
from dieuhanh.domains.dashboards.live import LiveHub
from dieuhanh.domains.feedback import api as feedback_api
from dieuhanh.domains.feedback import api_handling as feedback_handling
from dieuhanh.domains.feedback import open311 as feedback_open311
from dieuhanh.domains.feedback import service as feedback_service
from dieuhanh.domains.indicators import api as indicators_api
from dieuhanh.domains.indicators import api_export as indicators_sdmx
from dieuhanh.domains.indicators import pages as indicators_pages
from dieuhanh.domains.units import api as units_api
from dieuhanh.domains.units import pages as units_pages
from dieuhanh.web import briefing, errors, exports, feedback_notify, home
from dieuhanh.web.observability import Metrics, ObservabilityMiddleware

WEB_DIR = Path(__file__).resolve().parent

NAV: list[NavItem] = [
    NavItem("/", N_("Overview"), "home.view"),
    NavItem("/dashboards", N_("Dashboards"), "dashboards.read"),
    NavItem("/wall", N_("Video wall"), "wall.view"),
    NavItem("/indicators", N_("Indicators"), "indicators.read"),
    NavItem("/indicators/upload", N_("Upload data"), "indicators.ingest"),
    NavItem("/units", N_("Administrative units"), "units.read"),
    NavItem("/admin/users", N_("Users"), "users.read"),
    NavItem("/admin/audit", N_("Audit log"), "audit.read"),
]


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build a fresh application; nothing is shared between two apps in one process."""
    settings = settings or Settings()
    configure_logging(json=settings.log_json)
    database = Database(settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    bus = EventBus()
    hub = LiveHub(bus)
    scheduler = Scheduler()
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if settings.jobs_enabled:
            scheduler.start()
        try:
            yield
        finally:
            hub.close()
            scheduler.stop()
            database.dispose()

    app = FastAPI(
        title="Điều Hành IOC API",
        version=dieuhanh.__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = database
    app.state.bus = bus
    app.state.live = hub
    app.state.dashboard_cache = cache = DashboardCache()

    def rewarm(_event: Event) -> None:
        dashboards_service.rewarm_after_write(cache, database)

    bus.subscribe("indicators.observations_written", rewarm)
    app.state.scheduler = scheduler
    app.state.metrics = metrics
    app.state.workdays = settings.work_calendar()
    app.state.nav = NAV
    app.state.templates = build_templates(
        WEB_DIR / "templates",
        tile_url=settings.tile_url,
        tile_attribution=settings.tile_attribution,
        tile_max_zoom=settings.tile_max_zoom,
    )
    app.state.actor_resolver = auth_api.resolve_actor
    auth_service.install_audit(database)
    install_bus(database.session_factories, bus)
    _add_jobs(scheduler, database, settings, app.state.templates.env)

    errors.install(app)
    app.add_middleware(ObservabilityMiddleware, metrics=metrics, tile_url=settings.tile_url)
    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")

    _add_platform_routes(app)
    for router in (
        auth_api.router,
        auth_pages.router,
        units_api.router,
        units_pages.router,
        indicators_api.router,
        indicators_sdmx.sdmx_router,
        indicators_pages.router,
        exports.router,
        dashboards_api.router,
        dashboards_editor.router,
        dashboards_pages.router,
        feedback_api.router,
        feedback_api.media_router,
        feedback_handling.router,
        feedback_open311.router,
        home.router,
    ):
        app.include_router(router)
    return app


def _add_jobs(
    scheduler: Scheduler, database: Database, settings: Settings, templates: Environment
) -> None:
    """Background steps; each is idempotent and reports whether it found work."""

    def purge_sessions() -> bool:
        with database.transaction() as db:
            return auth_service.purge_expired(db=db, settings=settings) > 0

    def deliver_briefing() -> bool:
        return briefing.deliver_due(database, settings, templates, utcnow())

    def sweep_feedback_deadlines() -> bool:
        with database.transaction() as db:
            return feedback_service.sweep_deadlines(db=db, now=utcnow()).found

    scheduler.add("auth.purge_expired", purge_sessions, every_seconds=3600)

    def publish_feedback_figures() -> bool:
        with database.transaction() as db:
            written = feedback_service.publish_figures(
                db=db,
                actor=auth_service.system_actor("feedback"),
                province=settings.home_province,
                calendar=settings.work_calendar(),
            )
        return written > 0

    def notify_reporters() -> bool:
        return feedback_notify.deliver(database, settings, utcnow())

    scheduler.add("feedback.deadlines", sweep_feedback_deadlines, every_seconds=60)
    scheduler.add("feedback.notify", notify_reporters, every_seconds=30)
    scheduler.add("feedback.figures", publish_feedback_figures, every_seconds=3600)
    scheduler.add("dashboards.briefing", deliver_briefing, every_seconds=900)


def _add_platform_routes(app: FastAPI) -> None:
    @app.get("/healthz", tags=["platform"], dependencies=[public()])
    def healthz(db: DbSession) -> dict[str, Any]:
        """Liveness and database reachability, for load balancers and monitoring."""
        db.execute(text("SELECT 1"))
        return {"status": "ok", "database": "ok", "version": dieuhanh.__version__}

    @app.get("/metrics", tags=["platform"], dependencies=[public()], include_in_schema=False)
    def metrics_endpoint(request: Request) -> Response:
        registry = request.app.state.metrics.registry
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/api/docs", include_in_schema=False, dependencies=[public()])
    def api_docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/api/openapi.json",
            title="Điều Hành IOC API",
            swagger_js_url="/static/vendor/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/static/vendor/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/static/favicon.svg",
        )

    @app.get("/lang/{code}", include_in_schema=False, dependencies=[public()])
    def switch_language(code: str, request: Request) -> Response:
        """Remember the visitor's language choice and go back where they were."""
        target = request.query_params.get("next", "/")
        if not target.startswith("/") or target.startswith("//"):
            target = "/"
        response: Response = RedirectResponse(target, status_code=303)
        if code in LOCALES:
            settings = get_settings(request)
            response.set_cookie(
                LOCALE_COOKIE,
                code,
                max_age=365 * 24 * 3600,
                httponly=True,
                samesite="lax",
                secure=settings.https,
            )
        return response

    @app.get("/api/v1", tags=["platform"], dependencies=[public()])
    def api_root() -> JSONResponse:
        return JSONResponse({"version": dieuhanh.__version__, "docs": "/api/docs"})
