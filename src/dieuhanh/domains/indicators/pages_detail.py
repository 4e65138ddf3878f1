"""An indicator's page: what it is, its series, its units, its plan, its supply, its origin.

``GET /indicators/{code}`` shows, for a unit (default: the home province) and a period
(default: the latest with a value):

* the definition — names, measure, owner agency, cadence and deadline, aggregation rules,
  the formula in words (``core.expressions.describe``) for derived indicators;
* pickers for the unit (the province and its communes, breadcrumbs back up) and the period
  (month, quarter, year; with the Decree-09 window for Decree-09 indicators);
* the series chart (drawn by ``static/js/indicator-chart.js`` from JSON in the page, so it
  needs no second request): values, the same period last year, the plan, gaps where nothing
  was reported, the values re-mapped across the 2025 reform drawn dashed, and the
  annotations (notes, events, directives) as marks, listed under the chart with a form to
  add one for those who may write (``pages_detail_annotations``);
* the value with its coverage and change on last year, progress toward the plan with the
  projection and status, freshness (late communes), and a table of the units below, whose
  stored values open their revision history (``pages_upload.value_history``, HTMX);
* the derivation tree, fetched with HTMX from ``/indicators/{code}/explain`` only when
  opened (it can be large for a province of 94 communes).

Everything comes from the query service: the page never aggregates anything itself, so it
shows what the API and the exports show. Scope is the services' (``out_of_scope`` for a unit
outside the visitor's subtree).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from dieuhanh.core.http import CurrentActor, DbSession
from dieuhanh.core.i18n import gettext
from dieuhanh.core.pages import page_locale, render
from dieuhanh.core.periods import Period, label, parse
from dieuhanh.core.security import Actor
from dieuhanh.domains.indicators import service
from dieuhanh.domains.indicators.pages_catalog import LABELS
from dieuhanh.domains.indicators.pages_detail_annotations import annotations_block
from dieuhanh.domains.indicators.pages_detail_view import (
    CHART_SPAN,
    CODE_PATH,
    READ,
    REMAPPED,
    TYPE_LABELS,
    Selection,
    _calendar_note,
    _chart,
    _children,
    _chosen_period,
    _chosen_type,
    _default_unit,
    _exports,
    _formula_text,
    _freshness,
    _measure,
    _name,
    _range,
    _recorded,
    _rows,
    _scope,
    _series,
    _target,
    _types,
    _unit_options,
    _value_of,
)
from dieuhanh.domains.indicators.schemas import IndicatorOut
from dieuhanh.domains.indicators.schemas_query import PointOut
from dieuhanh.domains.units import service as units
from dieuhanh.domains.units.service import CURRENT

router = APIRouter(tags=["pages"], include_in_schema=False)


# --- routes ------------------------------------------------------------------------------------


def _latest_with_value(
    points: dict[Period, PointOut], first: Period, last: Period
) -> Period | None:
    for period in reversed(_range(first, last)):
        if _value_of(points.get(period)) is not None:
            return period
    return None


def _select(
    request: Request,
    db: Any,
    actor: Actor,
    indicator: IndicatorOut,
    unit: str | None,
    hierarchy: str | None,
    period_type: str | None,
    period: str | None,
    locale: str,
) -> tuple[Selection, dict[Period, PointOut]]:
    if unit:
        chosen = units.get_unit(
            db=db, code=unit, hierarchy=hierarchy or CURRENT, scope_unit_id=_scope(actor)
        )
    else:
        chosen = _default_unit(request, db, actor)
    kind = _chosen_type(indicator, period_type)
    asked = _chosen_period(period, kind)
    last = Period.containing(kind, units.today())
    first = last.shift(-(CHART_SPAN[kind] - 1))
    if asked is not None and asked < first:
        first = asked
    sel = Selection(indicator, chosen, kind, asked or last, first, last)
    points = _series(db, actor, sel, locale)
    if asked is None:
        sel = replace(sel, period=_latest_with_value(points, first, last) or last.previous())
    return sel, points


@router.get(CODE_PATH, dependencies=READ)
def indicator_detail(
    code: str,
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    unit: Annotated[str | None, Query(max_length=64)] = None,
    hierarchy: Literal["legacy", "2025"] | None = None,
    period_type: Annotated[str | None, Query(max_length=16)] = None,
    period: Annotated[str | None, Query(max_length=16)] = None,
) -> Response:
    """An indicator for one unit and period: definition, chart, value, plan, supply, units."""
    locale = page_locale(request)
    indicator = service.get_indicator(db=db, code=code)
    sel, points = _select(
        request, db, actor, indicator, unit, hierarchy, period_type, period, locale
    )
    found = service.query_value(
        db=db,
        actor=actor,
        code=code,
        unit=sel.unit.code,
        period=str(sel.period),
        hierarchy=sel.unit.hierarchy,
        locale=locale,
    )
    targets = service.get_targets(db=db, code=code, unit_id=sel.unit.id)
    crumbs = [u for u in units.ancestors(db=db, unit_id=sel.unit.id) if u.level != "nation"]
    children = _children(db, sel.unit, indicator.report_level)

    def page_url(**changes: Any) -> str:
        return f"/indicators/{code}?{urlencode(sel.params(**changes))}"

    periods = list(reversed(_range(sel.first, sel.last)))
    chart = _chart(sel, points, targets, locale)
    notes = annotations_block(db, actor, sel, chart, locale)
    explain = {"unit": sel.unit.code, "hierarchy": sel.unit.hierarchy, "period": str(sel.period)}
    context: dict[str, Any] = {
        "indicator": indicator,
        "name": _name(indicator, locale),
        "other_name": indicator.name_en if locale == "vi" else indicator.name_vi,
        "measure": _measure(indicator, locale),
        "decimals": indicator.decimals,
        "labels": LABELS,
        "formula_text": _formula_text(db, indicator, locale),
        "unit": sel.unit,
        "crumbs": crumbs,
        "unit_options": _unit_options(db, sel.unit, crumbs, indicator.report_level),
        "period_types": [(t.value, gettext(TYPE_LABELS[t], locale)) for t in _types(indicator)],
        "period_type": sel.period_type.value,
        "period_options": [(str(p), label(p, locale)) for p in periods],
        "period": str(sel.period),
        "period_label": label(sel.period, locale),
        "calendar_note": _calendar_note(indicator, sel.period, locale),
        "chart": chart,
        "notes": notes,
        "exports": _exports(sel),
        "found": found,
        "target": _target(found, locale),
        "target_year": sel.period.year,
        "freshness": _freshness(request, db, actor, sel, locale),
        "rows": _rows(db, actor, sel, children, locale),
        "explain_url": f"/indicators/{code}/explain?{urlencode(explain)}",
        "page_url": page_url,
        "remap_text": gettext(REMAPPED[sel.unit.hierarchy][1], locale),
        "remap_note": gettext(REMAPPED[sel.unit.hierarchy][2], locale),
    }
    return render(request, "indicators/detail.html", context)


@router.get(CODE_PATH + "/explain", dependencies=READ)
def indicator_explain(
    code: str,
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    unit: Annotated[str, Query(min_length=1, max_length=64)],
    period: Annotated[str, Query(min_length=1, max_length=16)],
    hierarchy: Literal["legacy", "2025"] | None = None,
) -> Response:
    """The derivation tree of one value: an HTMX fragment, or a page without JavaScript."""
    locale = page_locale(request)
    indicator = service.get_indicator(db=db, code=code)
    found = service.explain(
        db=db,
        actor=actor,
        code=code,
        unit=unit,
        period=period,
        hierarchy=hierarchy or CURRENT,
        locale=locale,
    )
    when = parse(found.period)
    back = {"unit": unit, "hierarchy": found.hierarchy, "period_type": when.type, "period": when}
    context = {
        "indicator": indicator,
        "name": _name(indicator, locale),
        "tree": found.tree,
        "decimals": indicator.decimals,
        "recorded": lambda text: _recorded(text, locale),
        "remap_text": gettext(REMAPPED[found.hierarchy][1], locale),
        "unit_name": found.unit.name,
        "period_label": label(when, locale),
        "back_url": f"/indicators/{code}?{urlencode(back)}",
    }
    partial = bool(request.headers.get("hx-request"))
    name = "indicators/detail_explain.html" if partial else "indicators/detail_explain_page.html"
    return render(request, name, context)
