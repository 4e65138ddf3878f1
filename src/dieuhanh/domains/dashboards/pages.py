"""Dashboard pages: the list, a dashboard for a unit and a period, and the video wall (the
home page "Tổng quan" in ``web/home.py`` draws its board with :func:`board_context` too).

Every page is rendered on the server with the numbers already in the HTML (KPI values,
rankings, tables), so it is useful before — or without — JavaScript; the page also embeds
the same ``DashboardData`` the JSON API answers as a ``<script type="application/json">``
block (not executed, so the ``default-src 'self'`` policy allows it), from which
``static/js/dashboard.js`` redraws the widgets with charts and maps and then keeps them
current from the live event stream. The wall fetches each playlist item's data from the
API and renders it with the same script. Numbers come from ``service.show_dashboard``
through ``api.load_data``, so a page shows exactly what the API and the downloads show.

The period picker also switches the calendar (``calendar=decree09`` for the Decree 09/2019
reporting period; see ``dashboards.view``). Every link inside a board — picker, breadcrumbs,
drill-down, downloads, the live refresh — carries ``calendar=`` when the reader's calendar
is not the dashboard's own, so the reader stays in it; the wall shows each dashboard in its
own calendar.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from dieuhanh.core.errors import ProblemError
from dieuhanh.core.http import CurrentActor, DbSession, require
from dieuhanh.core.i18n import N_, format_date, gettext
from dieuhanh.core.pages import page_locale, render
from dieuhanh.core.periods import Period, PeriodType
from dieuhanh.core.reporting_periods import (
    CALENDARS,
    CalendarName,
    has_started,
    is_closed,
    latest_closed,
    window_label,
)
from dieuhanh.core.security import Actor, allowed
from dieuhanh.domains.dashboards import service
from dieuhanh.domains.dashboards.api import CalendarParam, load_data
from dieuhanh.domains.dashboards.schemas import (
    DASHBOARD_CODE_PATTERN,
    DashboardData,
    Widget,
    WidgetData,
)
from dieuhanh.domains.units import service as units

router = APIRouter(tags=["pages"], include_in_schema=False)

READ = [require("dashboards.read")]
WALL = [require("wall.view")]

Code = Annotated[str, Path(pattern=DASHBOARD_CODE_PATTERN)]
UnitParam = Annotated[str | None, Query(max_length=64)]
PeriodParam = Annotated[str | None, Query(max_length=16)]

PERIOD_TYPES: tuple[tuple[PeriodType, str], ...] = (
    (PeriodType.MONTH, N_("Month")),
    (PeriodType.QUARTER, N_("Quarter")),
    (PeriodType.HALF, N_("Half-year")),
    (PeriodType.YEAR, N_("Year")),
)
CALENDAR_LABELS: dict[CalendarName, str] = {
    "calendar": N_("Calendar"),
    "decree09": N_("Decree 09 reporting period"),
}
# Rows of the 12-column grid one wall screen shows; a taller dashboard is shown in parts.
WALL_ROWS = 6

# What dashboard.js writes by itself (charts, badges, the live indicator), translated here
# because message ids are only extracted from Python and templates.
JS_STRINGS: dict[str, str] = {
    "download_csv": N_("Download CSV"),
    "download_excel": N_("Download Excel"),
    "widget_menu": N_("Widget menu"),
    "no_data": N_("No data"),
    "ytd": N_("Year to date"),
    "ytd_to": N_("Year to date to %(period)s"),
    "change_vs": N_("%(period)s compared with the same period last year"),
    "up": N_("up"),
    "down": N_("down"),
    "unchanged": N_("unchanged"),
    "of_plan": N_("%(percent)s of the year's plan"),
    "plan": N_("Plan"),
    "fresh": N_("Up to date"),
    "late": N_("Late"),
    "pending": N_("Pending"),
    "missing": N_("No data"),
    "data_until": N_("data until %(day)s"),
    "no_data_yet": N_("no data yet"),
    "unit": N_("Unit"),
    "rank": N_("Rank"),
    "total": N_("Total"),
    "missing_units": N_("%(count)s units without data"),
    "no_events": N_("No updates yet"),
    "no_geometry": N_("Units without outlines are drawn as tiles"),
    "reconnecting": N_("Connection lost, reconnecting…"),
    "load_failed": N_("The data could not be loaded"),
    "error": N_("This widget could not be computed"),
    "nothing_to_show": N_("Nothing to show on this screen"),
    "open_unit": N_("Open the dashboard for %(name)s"),
}


@dataclass(frozen=True)
class PeriodLink:
    """One choice of the period picker."""

    kind: str
    label: str
    url: str
    current: bool


@dataclass(frozen=True)
class Cell:
    """A widget as the grid shows it: its definition (place and size), its data, and its
    span on medium screens (half a row for narrow widgets, a whole row otherwise)."""

    spec: Widget
    widget: WidgetData
    d: dict[str, Any]
    wm: int


def js_strings(locale: str) -> dict[str, str]:
    return {key: gettext(msgid, locale) for key, msgid in JS_STRINGS.items()}


def page_url(base: str, **params: str | None) -> str:
    kept = {k: v for k, v in params.items() if v}
    return f"{base}?{urlencode(kept)}" if kept else base


def switch_type(
    period: Period, kind: PeriodType, today: date, calendar: CalendarName = "calendar"
) -> Period:
    """The period of ``kind`` to show when the reader switches type: the latest one that has
    ended by the end of the period shown (October → the third quarter, the previous year),
    and never one that has not closed yet in the calendar shown. Decree-09 periods are
    unions of the same nominal months, so "ended by" is the same comparison in both."""
    candidate = Period.containing(kind, period.end)
    if candidate.end > period.end:
        candidate = candidate.previous()
    latest = latest_closed(kind, today, calendar)
    return latest if latest < candidate else candidate


def switch_calendar(period: Period, today: date, calendar: CalendarName) -> Period:
    """The period to show when the reader switches to ``calendar``: the same one if it has
    closed there too, else the latest closed one of its type (on 22/11 the Decree-09 month
    2026-11 becomes the calendar month 2026-10; 2026-10 stays 2026-10 the other way)."""
    if is_closed(period, today, calendar):
        return period
    return latest_closed(period.type, today, calendar)


def period_picker(
    data: DashboardData,
    period_url: Callable[[str, CalendarName], str],
    today: date,
    locale: str,
) -> dict[str, Any]:
    """Type tabs (month, quarter, half, year), the calendar switch (calendar or Decree-09
    reporting period) and the previous / next arrows; "next" is offered once that period
    has started in the calendar shown, as in the ordinary calendar."""
    shown = Period.parse(data.period)
    calendar: CalendarName = data.calendar
    kinds = [
        PeriodLink(
            kind=kind.value,
            label=gettext(name, locale),
            url=period_url(
                str(shown if kind is shown.type else switch_type(shown, kind, today, calendar)),
                calendar,
            ),
            current=kind is shown.type,
        )
        for kind, name in PERIOD_TYPES
    ]
    calendars = [
        PeriodLink(
            kind=name,
            label=gettext(CALENDAR_LABELS[name], locale),
            url=period_url(str(switch_calendar(shown, today, name)), name),
            current=name == calendar,
        )
        for name in CALENDARS
    ]
    before, after = shown.previous(), shown.next()
    return {
        "kinds": kinds,
        "calendars": calendars,
        "previous": period_url(str(before), calendar),
        "previous_label": window_label(before, locale, calendar),
        "next": period_url(str(after), calendar) if has_started(after, today, calendar) else None,
        "next_label": window_label(after, locale, calendar),
    }


def data_until_text(data: DashboardData, locale: str) -> str:
    if not data.data_until:
        return gettext(N_("no data yet"), locale)
    day = date.fromisoformat(data.data_until)
    return gettext(N_("data until %(day)s"), locale) % {"day": format_date(day, locale)}


def cells(data: DashboardData) -> list[Cell]:
    """The widgets in reading order (top to bottom, left to right) with their grid place:
    on a phone the grid is one column and this order is the page's order."""
    specs = {w.id: w for w in data.dashboard.widgets}
    out = [
        Cell(
            spec=specs[shown.id],
            widget=shown,
            d=shown.data or {},
            wm=6 if specs[shown.id].w <= 6 else 12,
        )
        for shown in data.widgets
        if shown.id in specs
    ]
    out.sort(key=lambda c: (c.spec.y, c.spec.x))
    return out


def first_screen(shown: list[Cell], rows: int) -> tuple[list[Cell], int, int]:
    """The widgets of the wall's first screen, its first grid row and its number of rows:
    widgets in reading order until one would reach below ``rows`` rows (the script splits
    the rest of a tall dashboard into further screens the same way)."""
    chosen: list[Cell] = []
    top = shown[0].spec.y if shown else 0
    end = top + 1
    for cell in shown:
        if cell.spec.y + cell.spec.h > top + rows and chosen:
            break
        chosen.append(cell)
        end = max(end, cell.spec.y + cell.spec.h)
    return chosen, top, end - top


def board_context(
    request: Request,
    actor: Actor,
    data: DashboardData,
    *,
    period_base: str,
    keep_unit: bool = True,
) -> dict[str, Any]:
    """What ``dashboards/_board.html`` needs: the data (embedded for the script), the
    breadcrumbs as links to the same dashboard, the period picker and the download links.

    ``period_base`` is the page the period picker stays on (``/`` for the home page, whose
    unit is always the home province, so ``keep_unit`` is off there)."""
    locale = page_locale(request)
    code = data.dashboard.code
    today = units.today()

    def kept(calendar: str) -> str | None:
        """``calendar=`` only where it is not the dashboard's own (absent means that)."""
        return calendar if calendar != data.dashboard.reporting_calendar else None

    def period_url(period: str, calendar: CalendarName) -> str:
        unit = data.unit.code if keep_unit else None
        return page_url(period_base, unit=unit, period=period, calendar=kept(calendar))

    def unit_url(unit: str) -> str:
        return page_url(
            f"/dashboards/{code}", unit=unit, period=data.period, calendar=kept(data.calendar)
        )

    def download(widget: str, ext: str) -> str:
        return page_url(
            f"/api/v1/dashboards/{code}/widgets/{widget}/data.{ext}",
            unit=data.unit.code,
            period=data.period,
            calendar=kept(data.calendar),
        )

    return {
        "data": data,
        "payload": data.model_dump(mode="json"),
        "cells": cells(data),
        "crumbs": [
            {"name": c.name, "code": c.code, "url": unit_url(c.code)} for c in data.breadcrumbs
        ],
        "picker": period_picker(data, period_url, today, locale),
        "data_until_text": data_until_text(data, locale),
        "download": download,
        "data_url": page_url(
            f"/api/v1/dashboards/{code}/data",
            unit=data.unit.code,
            period=data.period,
            calendar=kept(data.calendar),
        ),
        "strings": js_strings(locale),
        "can_manage": allowed(actor, "dashboards.manage"),
    }


# --- routes ------------------------------------------------------------------------------------


@router.get("/dashboards", dependencies=READ)
def dashboards_list(request: Request, db: DbSession, actor: CurrentActor) -> Response:
    """Every dashboard the reader may open, headline ones first."""
    locale = page_locale(request)
    items = service.list_dashboards(db=db, actor=actor, locale=locale)
    context = {
        "items": items,
        "home_code": service.HOME_CODE,
        "can_manage": allowed(actor, "dashboards.manage"),
        "can_wall": allowed(actor, "wall.view"),
    }
    return render(request, "dashboards/list.html", context)


@router.get("/dashboards/{code}", dependencies=READ)
def dashboard_view(
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    code: Code,
    unit: UnitParam = None,
    period: PeriodParam = None,
    calendar: CalendarParam = None,
) -> Response:
    """One dashboard for a unit (default: the dashboard's, else the home province), a
    calendar (default: the dashboard's) and a period (default: the latest closed one of the
    dashboard's period type in that calendar)."""
    locale = page_locale(request)
    data = load_data(request, db, actor, locale, code, unit, period, calendar=calendar)
    context = board_context(request, actor, data, period_base=f"/dashboards/{code}")
    return render(request, "dashboards/view.html", context)


def _wall_items(
    db: Any, actor: Actor, playlist: str | None, screen: int | None
) -> tuple[str, list[dict[str, Any]]]:
    """The playlist's name and what this screen rotates through, with each item's data
    address (without a period or a calendar: the wall always shows the latest closed period
    in each dashboard's own calendar)."""
    found = service.get_playlist(db=db, actor=actor, code=playlist)
    items = [
        {
            "dashboard": item.dashboard,
            "unit": item.unit,
            "seconds": item.seconds,
            "data_url": page_url(f"/api/v1/dashboards/{item.dashboard}/data", unit=item.unit),
        }
        for item in service.screen_items(found, screen)
    ]
    return found.name, items


def _wall(
    request: Request, db: Any, actor: Actor, playlist: str | None, screen: int | None
) -> Response:
    locale = page_locale(request)
    name, items = _wall_items(db, actor, playlist, screen)
    first: DashboardData | None = None
    error: str | None = None
    if items:
        try:
            first = load_data(
                request, db, actor, locale, items[0]["dashboard"], items[0]["unit"], None
            )
        except ProblemError as exc:  # the wall keeps rotating; the next item may work
            error = exc.detail or exc.code
    shown, top, rows = first_screen(cells(first) if first else [], WALL_ROWS)
    context: dict[str, Any] = {
        "playlist_name": name,
        "screen": screen,
        "items": items,
        "first": first,
        "first_payload": first.model_dump(mode="json") if first else None,
        "first_cells": shown,
        "first_top": top,
        "first_rows": rows,
        "first_until": data_until_text(first, locale) if first else "",
        "error": error,
        "wall_rows": WALL_ROWS,
        "strings": js_strings(locale),
    }
    return render(request, "dashboards/wall.html", context)


@router.get("/wall", dependencies=WALL)
def wall(
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    playlist: Annotated[str | None, Query(pattern=DASHBOARD_CODE_PATTERN)] = None,
) -> Response:
    """The video wall: the playlist's dashboards in turn, full screen, live."""
    return _wall(request, db, actor, playlist, None)


@router.get("/wall/{screen}", dependencies=WALL)
def wall_screen(
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    screen: Annotated[int, Path(ge=1, le=64)],
    playlist: Annotated[str | None, Query(pattern=DASHBOARD_CODE_PATTERN)] = None,
) -> Response:
    """One screen of a multi-screen wall: the items pinned to it and the unpinned ones."""
    return _wall(request, db, actor, playlist, screen)
