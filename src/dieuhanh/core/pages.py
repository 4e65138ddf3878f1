"""Server-rendered pages: one Jinja2 environment, rendered with the request's locale."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup
from starlette.responses import Response

from dieuhanh.core import i18n
from dieuhanh.core.http import LOCALE_COOKIE
from dieuhanh.core.security import ANONYMOUS, Actor, allowed
from dieuhanh.core.settings import DEFAULT_TILE_ATTRIBUTION, DEFAULT_TILE_MAX_ZOOM


@dataclass(frozen=True)
class NavItem:
    """A navigation entry, shown only to actors allowed to perform ``action``."""

    href: str
    label: str  # English msgid
    action: str
    icon: str = ""


def visible_nav(actor: Actor, items: list[NavItem]) -> list[NavItem]:
    return [item for item in items if allowed(actor, item.action)]


def tile_attributes(url: str | None, attribution: str, max_zoom: int) -> Markup:
    """The tile server as ``data-tile-*`` attributes for a map's element (or the grid that
    holds map widgets): the Content-Security-Policy forbids inline scripts, so settings reach
    the map scripts through the markup. Empty without a tile server: maps stay offline."""
    if not url:
        return Markup("")
    return Markup(' data-tile-url="{}" data-tile-attribution="{}" data-tile-max-zoom="{}"').format(
        url, attribution, max_zoom
    )


def build_templates(
    directory: Path,
    *,
    tile_url: str | None = None,
    tile_attribution: str = DEFAULT_TILE_ATTRIBUTION,
    tile_max_zoom: int = DEFAULT_TILE_MAX_ZOOM,
) -> Jinja2Templates:
    env = Environment(
        loader=FileSystemLoader(str(directory)),
        autoescape=select_autoescape(["html", "xml"]),
        extensions=["jinja2.ext.i18n"],
    )
    templates = Jinja2Templates(env=env)

    @pass_context
    def _gettext(ctx: Context, message: str, **variables: Any) -> str:
        text = i18n.gettext(message, ctx.get("locale", i18n.DEFAULT_LOCALE))
        return text % variables if variables else text

    @pass_context
    def _ngettext(ctx: Context, singular: str, plural: str, n: int, **variables: Any) -> str:
        trans = i18n.translations(ctx.get("locale", i18n.DEFAULT_LOCALE))
        text = trans.ngettext(singular, plural, n)
        variables.setdefault("num", n)
        return text % variables

    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]

    @pass_context
    def _number(ctx: Context, value: Any, decimals: int = 0) -> str:
        return i18n.format_number(value, ctx.get("locale", "vi"), decimals)

    @pass_context
    def _date(ctx: Context, value: Any) -> str:
        return i18n.format_date(value, ctx.get("locale", "vi"))

    @pass_context
    def _datetime(ctx: Context, value: Any) -> str:
        return i18n.format_datetime(value, ctx.get("locale", "vi"))

    env.filters["number"] = _number
    env.filters["date"] = _date
    env.filters["datetime"] = _datetime
    env.globals["tile_url"] = tile_url  # templates load Leaflet only when it is set
    env.globals["tile_attrs"] = tile_attributes(tile_url, tile_attribution, tile_max_zoom)
    return templates


def page_locale(request: Request) -> str:
    """Pages are Vietnamese unless the visitor chose English with the switch.

    Many officials' browsers send ``Accept-Language: en``; a Vietnamese government tool
    should still greet them in Vietnamese. (The JSON API follows Accept-Language.)
    """
    chosen = request.cookies.get(LOCALE_COOKIE)
    return chosen if chosen in i18n.LOCALES else i18n.DEFAULT_LOCALE


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> Response:
    """Render ``name`` with the locale, the actor and the CSRF token always available."""
    templates: Jinja2Templates = request.app.state.templates
    actor = getattr(request.state, "actor", None) or ANONYMOUS
    ctx: dict[str, Any] = {
        "locale": page_locale(request),
        "actor": actor,
        "settings": request.app.state.settings,
        "nav": visible_nav(actor, getattr(request.app.state, "nav", [])),
        "path": request.url.path,
    }
    ctx.update(context or {})
    return templates.TemplateResponse(request, name, ctx, status_code=status_code)
