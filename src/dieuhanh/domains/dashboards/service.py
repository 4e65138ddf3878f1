"""The dashboards domain's public service: what routes, the CLI and the components call."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from dieuhanh.core.db import Database, utcnow
from dieuhanh.core.errors import ProblemError
from dieuhanh.core.security import Actor
from dieuhanh.core.workdays import WorkCalendar
from dieuhanh.domains.dashboards import catalog, counters, live
from dieuhanh.domains.dashboards.briefing import (
    Briefing,
    build_briefing,
    counts_by_colour,
    delivered,
    record_delivery,
)
from dieuhanh.domains.dashboards.cache import DashboardCache
from dieuhanh.domains.dashboards.catalog import (
    HOME_CODE,
    DashboardSyncReport,
    create_dashboard,
    delete_dashboard,
    get_dashboard,
    headline_dashboards,
    list_dashboards,
    sync_pack_dashboards,
    update_dashboard,
)
from dieuhanh.domains.dashboards.data import dashboard_data, refresh_feeds
from dieuhanh.domains.dashboards.live import LiveHub
from dieuhanh.domains.dashboards.playlists import (
    get_playlist,
    list_playlists,
    save_playlist,
    screen_items,
)
from dieuhanh.domains.dashboards.schemas import (
    DashboardData,
    DashboardOut,
    KpiWidget,
    MapWidget,
    RankingWidget,
    TimeSeriesWidget,
    WidgetData,
)
from dieuhanh.domains.dashboards.view import View, resolve_view
from dieuhanh.domains.indicators import service as indicators
from dieuhanh.domains.units import service as units

__all__ = [
    "HOME_CODE",
    "Briefing",
    "DashboardCache",
    "DashboardSyncReport",
    "LiveHub",
    "View",
    "build_briefing",
    "child_geometry",
    "compose_home",
    "counters",
    "counts_by_colour",
    "create_dashboard",
    "delete_dashboard",
    "delivered",
    "get_dashboard",
    "get_playlist",
    "headline_dashboards",
    "list_dashboards",
    "list_playlists",
    "live",
    "open_dashboard",
    "record_delivery",
    "rewarm_after_write",
    "save_playlist",
    "screen_items",
    "show_dashboard",
    "sync_pack_dashboards",
    "update_dashboard",
    "widget_table",
]

TILES_PER_ROW = 4


def compose_home(*, db: Session, actor: Actor, locale: str = "vi") -> DashboardOut:
    """The home page "Tổng quan": every headline dashboard's KPI tiles (each component's
    headline figures), then the first headline dashboard's map, ranking and chart."""
    sources = headline_dashboards(db=db, actor=actor)
    widgets: list[Any] = []
    seen: set[str] = set()
    for dashboard in sources:
        for widget in dashboard.widgets:
            if isinstance(widget, KpiWidget) and widget.indicator not in seen:
                seen.add(widget.indicator)
                n = len(widgets)
                widgets.append(
                    widget.model_copy(
                        update={
                            "id": f"{dashboard.code[:20]}-{widget.id}"[:32],
                            "x": (n % TILES_PER_ROW) * 3,
                            "y": (n // TILES_PER_ROW) * 2,
                            "w": 3,
                            "h": 2,
                        }
                    )
                )
    row = ((len(widgets) + TILES_PER_ROW - 1) // TILES_PER_ROW) * 2
    if sources:
        extras = [
            w
            for w in sources[0].widgets
            if isinstance(w, MapWidget | RankingWidget | TimeSeriesWidget)
        ]
        x = 0
        for widget in extras[:3]:
            widgets.append(widget.model_copy(update={"x": x, "y": row, "w": 4, "h": 4}))
            x += 4
    return DashboardOut(
        code=HOME_CODE,
        title_vi="Tổng quan",
        title_en="Overview",
        title="Overview" if locale == "en" else "Tổng quan",
        description_vi="Các chỉ tiêu chính của mọi hợp phần",
        description_en="Every component's headline indicators",
        component="home",
        unit=None,
        period_type="month",
        # it gathers every component's tiles, so it opens in the ordinary calendar; readers
        # may switch to the Decree-09 reporting period
        reporting_calendar="calendar",
        headline=False,
        origin="pack",
        edited_locally=False,
        version=1,
        updated_at=sources[0].updated_at if sources else utcnow(),
        updated_by="",
        widgets=widgets,
    )


def open_dashboard(*, db: Session, actor: Actor, code: str, locale: str = "vi") -> DashboardOut:
    """A stored dashboard, or the composed home one."""
    if code == HOME_CODE:
        catalog.require_action(actor, catalog.READ)
        return compose_home(db=db, actor=actor, locale=locale)
    return get_dashboard(db=db, actor=actor, code=code, locale=locale)


def show_dashboard(
    *,
    db: Session,
    actor: Actor,
    code: str,
    unit: str | None,
    period: str | None,
    home_province: str,
    calendar: WorkCalendar,
    locale: str = "vi",
    hub: LiveHub | None = None,
    today: date | None = None,
    cache: DashboardCache | None = None,
    widgets: Sequence[str] | None = None,
    reporting_calendar: str | None = None,
) -> DashboardData:
    """Everything a dashboard page (or the wall) draws, for one unit and period; from
    ``cache`` while the data and the definition are unchanged (see ``dashboards.cache``).

    ``reporting_calendar`` (``calendar`` or ``decree09``; default: the dashboard's own) is
    the calendar the period is read in: it picks the default period and the labels, so it
    is part of the cache key.

    ``widgets`` gives only those widgets (taken from the cache when the whole dashboard was
    recomputed on write, else computed alone and not kept): a page told by the live stream
    that some indicators changed refreshes the widgets showing them, which keeps a write on
    screen within two seconds."""
    dashboard = open_dashboard(db=db, actor=actor, code=code, locale=locale)
    view = resolve_view(
        db=db,
        actor=actor,
        dashboard=dashboard,
        unit=unit,
        period=period,
        home_province=home_province,
        locale=locale,
        calendar=calendar,
        today=today,
        hub=hub,
        reporting=reporting_calendar,
    )
    key = (
        code,
        _definition_version(db, actor, dashboard),
        view.unit.id,
        str(view.period),
        view.reporting,
        locale,
        actor.scope_unit_id,
        view.today,
    )
    version = indicators.data_version(db) if cache is not None else 0
    if widgets is not None:
        wanted = set(widgets)
        kept = cache.get(key, version) if cache is not None else None
        if kept is not None:  # recomputed on write: hand out the widgets asked for
            board = kept.dashboard.model_copy(
                update={"widgets": [w for w in kept.dashboard.widgets if w.id in wanted]}
            )
            part = [w for w in kept.widgets if w.id in wanted]
            return refresh_feeds(
                view, kept.model_copy(update={"widgets": part, "dashboard": board})
            )
        only = [w for w in dashboard.widgets if w.id in wanted]
        return dashboard_data(view, dashboard.model_copy(update={"widgets": only}))
    if cache is None:
        return dashboard_data(view, dashboard)
    found = cache.get(key, version)
    if found is None:
        found = dashboard_data(view, dashboard)

        def recipe(session: Session) -> DashboardData:
            """The same view recomputed in another session (after a write)."""
            board = open_dashboard(db=session, actor=actor, code=code, locale=locale)
            again = resolve_view(
                db=session,
                actor=actor,
                dashboard=board,
                unit=unit,
                period=period,
                home_province=home_province,
                locale=locale,
                calendar=calendar,
                today=today,
                hub=hub,
                reporting=reporting_calendar,
            )
            return dashboard_data(again, board)

        cache.put(key, version, found, recipe)
    return refresh_feeds(view, found)


def rewarm_after_write(cache: DashboardCache, database: Database) -> int:
    """After values were committed: recompute the dashboards people are looking at (see
    ``dashboards.cache``); returns how many."""
    return cache.rewarm(database.reading, indicators.data_version)


def _definition_version(db: Session, actor: Actor, dashboard: DashboardOut) -> tuple[int, ...]:
    """What the definition depends on: the home page follows every headline dashboard."""
    if dashboard.code != HOME_CODE:
        return (dashboard.version,)
    return tuple(d.version for d in headline_dashboards(db=db, actor=actor))


def widget_table(data: DashboardData, widget_id: str) -> tuple[list[str], list[list[Any]]]:
    """A widget's data as a header and rows, for its CSV / Excel download."""
    found: WidgetData | None = next((w for w in data.widgets if w.id == widget_id), None)
    if found is None:
        raise ProblemError("widget_not_found", detail=widget_id)
    body = found.data or {}
    unit = data.unit
    if found.type == "kpi":
        return (
            ["indicator", "unit", "period", "value", "ytd", "measure_unit", "data_until"],
            [
                [
                    body["indicator"]["code"],
                    unit.code,
                    body["period"],
                    body["value"],
                    body["ytd"],
                    body["measure_unit"],
                    body["data_until"],
                ],
                *[
                    ["", unit.code, p["period"], p["value"], None, "", None]
                    for p in body["sparkline"]
                ],
            ],
        )
    if found.type == "timeseries":
        codes = [s["indicator"]["code"] for s in body["series"]]
        rows = [
            [period, *[s["values"][n] for s in body["series"]]]
            for n, period in enumerate(body["periods"])
        ]
        return ["period", *codes], rows
    if found.type in ("ranking", "map"):
        items = body["rows"] if found.type == "ranking" else body["values"]
        code = body["indicator"]["code"]

        def unit_of(item: dict[str, Any]) -> tuple[str, str]:
            if "unit" in item:
                return item["unit"]["code"], item["unit"]["name"]
            return item["code"], item["name"]

        return (
            ["unit", "name", "period", code],
            [[*unit_of(i), body["period"], i["value"]] for i in items],
        )
    if found.type == "table":
        codes = [i["code"] for i in body["indicators"]]
        rows = [
            [r["unit"]["code"], r["unit"]["name"], *[v["value"] for v in r["values"]]]
            for r in body["rows"]
        ]
        return ["unit", "name", *codes], rows
    if found.type == "counter":
        return ["counter", "value"], [[i["name"], i["value"]] for i in body["items"]]
    return ["topic", "at", "text"], [[e["topic"], e["at"], e["text"]] for e in body["events"]]


def child_geometry(*, db: Session, actor: Actor, unit: str, hierarchy: str) -> dict[str, Any]:
    """Outlines of a unit's children for a map widget (scope-checked)."""
    catalog.require_action(actor, catalog.READ)
    found = units.get_unit(db=db, code=unit, hierarchy=hierarchy, scope_unit_id=actor.scope_unit_id)
    return units.child_boundaries(db=db, unit_id=found.id)
