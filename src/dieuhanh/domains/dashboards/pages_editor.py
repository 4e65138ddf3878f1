"""Dashboard editor pages: compose a dashboard (``/dashboards/new``, ``/dashboards/{code}/edit``)
and edit the video wall's playlists (``/wall/playlists``).

The pages do not post forms back to the server: they save through the same JSON API that
integrators use (``POST``/``PATCH /api/v1/dashboards``, ``PUT /api/v1/wall/playlists``), so
the API's validation, optimistic locking and audit are the only ones there are, and its
problem+json ``errors[].location`` tells the page which field or widget to mark. The server
renders the plain fields and embeds, as a ``<script type="application/json">`` block (data,
not code, so ``default-src 'self'`` allows it), what ``static/js/dashboard-editor.js`` needs
to draw the grid: the widgets, each widget type's options and defaults taken from the
schemas themselves (so the editor never offers a field the API would refuse), the counter
names and the translated texts the script writes.

This router is included before ``pages.router``: ``/dashboards/new`` would otherwise be read
as a dashboard whose code is ``new``, and ``/wall/playlists`` as wall screen ``playlists``.
"""

from __future__ import annotations

from typing import Annotated, Any, get_args

from annotated_types import Ge, Le, MaxLen
from fastapi import APIRouter, Path, Query, Request
from pydantic.fields import FieldInfo
from sqlalchemy.orm import Session
from starlette.responses import Response

from dieuhanh.core.http import CurrentActor, DbSession, get_settings, require
from dieuhanh.core.i18n import N_, gettext
from dieuhanh.core.pages import page_locale, render
from dieuhanh.core.security import Actor
from dieuhanh.domains.dashboards import service
from dieuhanh.domains.dashboards.schemas import (
    DASHBOARD_CODE_PATTERN,
    GRID_COLUMNS,
    INDICATOR_CODE_PATTERN,
    MAX_WIDGETS,
    WIDGET_ID_PATTERN,
    CounterWidget,
    DashboardOut,
    FeedWidget,
    KpiWidget,
    MapWidget,
    PlaylistOut,
    RankingWidget,
    TableWidget,
    TimeSeriesWidget,
    WidgetBase,
)
from dieuhanh.domains.indicators import service as indicators
from dieuhanh.domains.units import service as units

router = APIRouter(tags=["pages"], include_in_schema=False)

MANAGE = [require("dashboards.manage")]
WALL_MANAGE = [require("wall.manage")]

Code = Annotated[str, Path(pattern=DASHBOARD_CODE_PATTERN)]

# Widget types in the order the "add" menu offers them, with their label and the size a new
# one gets (columns, rows): KPI tiles are small, charts and tables need room.
WIDGET_TYPES: tuple[tuple[type[WidgetBase], str, int, int], ...] = (
    (KpiWidget, N_("KPI tile"), 3, 2),
    (TimeSeriesWidget, N_("Time series chart"), 6, 4),
    (RankingWidget, N_("Ranking of units"), 4, 4),
    (MapWidget, N_("Map of units"), 4, 4),
    (TableWidget, N_("Table of units"), 6, 4),
    (CounterWidget, N_("Counters"), 4, 2),
    (FeedWidget, N_("Live feed"), 4, 3),
)

# Labels of the type-specific options; a field missing here would be shown by its name, so
# the page test checks that every schema field has one.
OPTION_LABELS: dict[str, str] = {
    "indicator": N_("Indicator"),
    "indicators": N_("Indicators"),
    "ytd": N_("Show the year to date"),
    "sparkline": N_("Periods in the sparkline"),
    "period_type": N_("Period type"),
    "span": N_("Periods shown"),
    "show_target": N_("Show the target line"),
    "level": N_("Level of the units"),
    "top": N_("Units shown"),
    "limit": N_("Rows shown"),
    "counters": N_("Counters"),
    "topics": N_("Event topics"),
}
OPTION_HELP: dict[str, str] = {
    "topics": N_("Comma-separated, e.g. indicators.* — * shows everything"),
    "period_type": N_("Empty: the dashboard's period type"),
    "sparkline": N_("0 hides the sparkline"),
}
LEVEL_LABELS: tuple[tuple[str, str], ...] = (
    ("child", N_("The next level down")),
    ("province", N_("Provinces")),
    ("district", N_("Districts")),
    ("commune", N_("Communes")),
)
PERIOD_TYPE_LABELS: tuple[tuple[str, str], ...] = (
    ("month", N_("Monthly")),
    ("quarter", N_("Quarterly")),
    ("half", N_("Half-yearly")),
    ("year", N_("Yearly")),
)
# The calendars a dashboard may open in (the same labels as the dashboard's period picker).
REPORTING_CALENDAR_LABELS: tuple[tuple[str, str], ...] = (
    ("calendar", N_("Calendar")),
    ("decree09", N_("Decree 09 reporting period")),
)
# What a feed can listen to today; other domains' topics can be typed in.
FEED_TOPICS: tuple[str, ...] = ("*", "indicators.*", "alerts.*", "feedback.*")

# Texts the script writes itself (message ids are only extracted from Python and templates).
JS_STRINGS: dict[str, str] = {
    "untitled": N_("Untitled widget"),
    "remove": N_("Remove"),
    "remove_confirm": N_("Remove this widget?"),
    "move_left": N_("Move left"),
    "move_right": N_("Move right"),
    "move_up": N_("Move up"),
    "move_down": N_("Move down"),
    "narrower": N_("Narrower"),
    "wider": N_("Wider"),
    "shorter": N_("Shorter"),
    "taller": N_("Taller"),
    "widget_id": N_("Widget id"),
    "widget_id_help": N_("Lower-case letters, digits, - and _; unique on the dashboard"),
    "title_vi": N_("Title (Vietnamese)"),
    "title_en": N_("Title (English)"),
    "title_help": N_("Empty: the indicator's name"),
    "position": N_("Position and size"),
    "x": N_("Column (0–11)"),
    "y": N_("Row"),
    "w": N_("Width (columns)"),
    "h": N_("Height (rows)"),
    "options": N_("Options"),
    "search_indicator": N_("Search the indicator catalog"),
    "search_placeholder": N_("Code or name, e.g. thu ngan sach"),
    "no_results": N_("No indicator matches"),
    "searching": N_("Searching…"),
    "search_failed": N_("The catalog could not be searched"),
    "choose": N_("Choose"),
    "add": N_("Add"),
    "none_chosen": N_("No indicator chosen yet"),
    "too_many": N_("At most %(count)s indicators"),
    "default": N_("Default"),
    "no_widgets": N_("No widgets yet: add one with the menu above"),
    "empty_grid": N_("The grid is empty"),
    "saving": N_("Saving…"),
    "saved": N_("Saved"),
    "deleting": N_("Deleting…"),
    "delete_confirm": N_("Delete this dashboard? This cannot be undone."),
    "network_error": N_("The server could not be reached; nothing was saved"),
    "fix_errors": N_("Please correct the marked fields"),
    "duplicate_id": N_("This id is used by another widget"),
    "reload": N_("Reload the page"),
    "version_conflict": N_(
        "Someone else saved this dashboard after you opened it. Reload the page to see "
        "their version, then apply your change again."
    ),
    "dashboard_exists": N_("A dashboard with this code already exists; choose another code"),
    "too_many_widgets": N_("A dashboard holds at most %(count)s widgets"),
    "widget_error": N_("This widget has errors"),
    "box_label": N_("%(title)s: column %(x)s, row %(y)s, %(w)s × %(h)s"),
    "item_dashboard": N_("Dashboard"),
    "item_unit": N_("Unit code"),
    "item_seconds": N_("Seconds"),
    "item_screen": N_("Screen"),
    "no_items": N_("Add at least one dashboard"),
    # pydantic's error types, in the reader's language (the API's own text is the tooltip)
    "err_missing": N_("Required"),
    "err_string_pattern_mismatch": N_("Not in the expected format"),
    "err_string_too_short": N_("Too short"),
    "err_string_too_long": N_("Too long"),
    "err_too_short": N_("Choose at least one"),
    "err_too_long": N_("Too many"),
    "err_greater_than_equal": N_("Too small"),
    "err_less_than_equal": N_("Too large"),
    "err_less_than": N_("Too large"),
    "err_int_parsing": N_("A whole number is needed"),
    "err_union_tag_invalid": N_("Unknown widget type"),
    "err_literal_error": N_("Not one of the allowed values"),
    "err_value_error": N_("Invalid value"),
    "err_fits": N_("The widget must fit within the 12 columns"),
}

_BASE_FIELDS = frozenset(WidgetBase.model_fields) | {"type"}


def _bounds(info: FieldInfo) -> dict[str, int]:
    """The ``ge``/``le``/``max_length`` constraints of a schema field, for the inputs."""
    out: dict[str, int] = {}
    for item in info.metadata:
        if isinstance(item, Ge) and isinstance(item.ge, int):
            out["min"] = item.ge
        elif isinstance(item, Le) and isinstance(item.le, int):
            out["max"] = item.le
        elif isinstance(item, MaxLen):
            out["max_items"] = item.max_length
    return out


def _default(info: FieldInfo) -> Any:
    """A field's default as JSON; ``None`` for a required field (the page asks for it)."""
    if info.is_required():
        return None
    return info.get_default(call_default_factory=True)


def _kind(name: str, info: FieldInfo) -> str:
    """How the editor offers a field: a picker for indicators, checkboxes for counters…"""
    if name in ("indicator", "indicators", "counters", "topics", "level", "period_type"):
        return name
    if info.annotation is bool:
        return "bool"
    return "int"


def widget_types(locale: str) -> dict[str, dict[str, Any]]:
    """Each widget type's label, size, defaults and options, read from the schemas."""
    types: dict[str, dict[str, Any]] = {}
    for model, label, w, h in WIDGET_TYPES:
        name = str(get_args(model.model_fields["type"].annotation)[0])
        options = []
        defaults: dict[str, Any] = {"type": name}
        for field, info in model.model_fields.items():
            if field in _BASE_FIELDS:
                continue
            default = _default(info)
            if default is None and field in ("indicators", "counters"):
                default = []
            if default is None and field == "indicator":
                default = ""
            defaults[field] = default
            options.append(
                {
                    "name": field,
                    "kind": _kind(field, info),
                    "label": gettext(OPTION_LABELS.get(field, field), locale),
                    "help": gettext(OPTION_HELP[field], locale) if field in OPTION_HELP else "",
                    "required": info.is_required(),
                    **_bounds(info),
                }
            )
        types[name] = {
            "label": gettext(label, locale),
            "w": w,
            "h": h,
            "defaults": defaults,
            "options": options,
            "fields": sorted(model.model_fields),
        }
    return types


def js_strings(locale: str) -> dict[str, str]:
    return {key: gettext(msgid, locale) for key, msgid in JS_STRINGS.items()}


def _choices(pairs: tuple[tuple[str, str], ...], locale: str) -> list[dict[str, str]]:
    return [{"value": value, "label": gettext(label, locale)} for value, label in pairs]


def _indicator_names(
    db: Session, dashboard: DashboardOut | None, locale: str
) -> dict[str, dict[str, str]]:
    """Names of the indicators the widgets already show, for their labels (indicators chosen
    in the page come from the catalog API with their names)."""
    if dashboard is None:
        return {}
    codes: set[str] = set()
    for widget in dashboard.widgets:
        if isinstance(widget, KpiWidget | RankingWidget | MapWidget):
            codes.add(widget.indicator)
        elif isinstance(widget, TimeSeriesWidget | TableWidget):
            codes.update(widget.indicators)
    found = indicators.indicators_by_code(db=db, codes=codes)
    return {
        code: {"name": item.name_en if locale == "en" else item.name_vi}
        for code, item in found.items()
    }


def _unit_choices(request: Request, db: Session, actor: Actor) -> list[dict[str, str]]:
    """The units a dashboard may belong to: the actor's scope root (the home province for
    installation-wide admins) and its direct children and agencies."""
    if actor.scope_unit_id is not None:
        root = units.get_unit_by_id(db=db, unit_id=actor.scope_unit_id)
    else:
        root = units.get_unit(db=db, code=get_settings(request).home_province)
    below, _total = units.children(db=db, unit_id=root.id)
    return [{"code": u.code, "name": u.name, "level": u.level} for u in [root, *below]]


def _editor(
    request: Request, db: Session, actor: Actor, dashboard: DashboardOut | None
) -> Response:
    locale = page_locale(request)
    types = widget_types(locale)
    state: dict[str, Any] = {
        "mode": "edit" if dashboard else "new",
        "code": dashboard.code if dashboard else "",
        "version": dashboard.version if dashboard else None,
        "widgets": [w.model_dump(mode="json") for w in dashboard.widgets] if dashboard else [],
        "types": types,
        "levels": _choices(LEVEL_LABELS, locale),
        "period_types": _choices(PERIOD_TYPE_LABELS, locale),
        "counters": [
            {"name": name, "label": gettext(service.counters.get(name).label, locale)}
            for name in service.counters.names()
        ],
        "topics": list(FEED_TOPICS),
        "indicator_names": _indicator_names(db, dashboard, locale),
        "columns": GRID_COLUMNS,
        "max_widgets": MAX_WIDGETS,
        "widget_id_pattern": WIDGET_ID_PATTERN,
        "indicator_pattern": INDICATOR_CODE_PATTERN,
        "strings": js_strings(locale),
    }
    context = {
        "dashboard": dashboard,
        "state": state,
        "period_types": _choices(PERIOD_TYPE_LABELS, locale),
        "reporting_calendars": _choices(REPORTING_CALENDAR_LABELS, locale),
        "unit_choices": _unit_choices(request, db, actor) if dashboard is None else [],
        "code_pattern": DASHBOARD_CODE_PATTERN.removeprefix("^").removesuffix("$"),
        "can_delete": dashboard is not None and dashboard.origin == "local",
        "type_choices": [(name, spec["label"]) for name, spec in types.items()],
    }
    return render(request, "dashboards/edit.html", context)


@router.get("/dashboards/new", dependencies=MANAGE)
def new_dashboard(request: Request, db: DbSession, actor: CurrentActor) -> Response:
    """An empty composer; saving creates a local dashboard."""
    return _editor(request, db, actor, None)


@router.get("/dashboards/{code}/edit", dependencies=MANAGE)
def edit_dashboard(request: Request, db: DbSession, actor: CurrentActor, code: Code) -> Response:
    """The composer filled with a stored dashboard and the version it was read at, which the
    save sends back so that a concurrent edit is refused instead of overwritten."""
    dashboard = service.get_dashboard(db=db, actor=actor, code=code, locale=page_locale(request))
    return _editor(request, db, actor, dashboard)


# --- wall playlists --------------------------------------------------------------------------


@router.get("/wall/playlists", dependencies=WALL_MANAGE)
def playlists_page(
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    code: Annotated[str | None, Query(pattern=DASHBOARD_CODE_PATTERN)] = None,
    new: Annotated[bool, Query()] = False,
) -> Response:
    """The stored playlists and an editor for one: the one named by ``code``, a blank one
    with ``new``, otherwise the first stored one (or the default the wall plays while none is
    stored, so saving it makes the default explicit and editable)."""
    locale = page_locale(request)
    stored = service.list_playlists(db=db, actor=actor)
    current: PlaylistOut | None = None
    if not new:
        current = service.get_playlist(db=db, actor=actor, code=code)
    dashboards = [
        {"code": service.HOME_CODE, "title": gettext(N_("Overview"), locale)},
        *[
            {"code": d.code, "title": d.title}
            for d in service.list_dashboards(db=db, actor=actor, locale=locale)
        ],
    ]
    known = {d["code"] for d in dashboards}
    if current is not None:  # an item may name a dashboard since deleted: keep it choosable
        for item in current.items:
            if item.dashboard not in known:
                known.add(item.dashboard)
                dashboards.append({"code": item.dashboard, "title": item.dashboard})
    context = {
        "playlists": stored,
        "current": current,
        "is_stored": current is not None and any(p.code == current.code for p in stored),
        "dashboards": dashboards,
        "code_pattern": DASHBOARD_CODE_PATTERN.removeprefix("^").removesuffix("$"),
        "strings": js_strings(locale),
    }
    return render(request, "dashboards/playlists.html", context)
