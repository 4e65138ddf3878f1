"""The indicator catalog page, and the administrators' forms to add and change indicators.

The catalog is grouped by component and sector, filtered live with HTMX as the visitor types
(a plain GET form without JavaScript), and shows each formula as people read it
(``core.expressions.describe``: names instead of codes). The forms post back to themselves;
an invalid definition re-shows the form with what was typed and a Vietnamese message next to
each field, built from the same typed errors the JSON API returns.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from dieuhanh.core import expressions
from dieuhanh.core.errors import CATALOG, ProblemError
from dieuhanh.core.http import CurrentActor, DbSession, get_settings, require
from dieuhanh.core.i18n import N_, gettext
from dieuhanh.core.pages import page_locale, render
from dieuhanh.core.security import Actor, allowed
from dieuhanh.domains.indicators import service
from dieuhanh.domains.indicators.catalog_checks import from_validation
from dieuhanh.domains.indicators.schemas import IndicatorIn, IndicatorOut
from dieuhanh.domains.units import service as units_service

router = APIRouter(tags=["pages"], include_in_schema=False)

CATALOG_LIMIT = 1000  # the whole catalog on one page: hundreds of indicators, not thousands

COMPONENT_LABELS = {
    "socioeconomic": N_("Socio-economic situation"),
    "govperf": N_("Government performance"),
    "health": N_("Health"),
    "education": N_("Education"),
    "tourism": N_("Tourism"),
    "environment": N_("Environment"),
    "traffic": N_("Traffic"),
    "feedback": N_("Citizen feedback"),
    "local": N_("Province's own indicators"),
}
SECTOR_LABELS = {
    "economy": N_("Economic growth"),
    "industry": N_("Industry"),
    "trade": N_("Trade"),
    "prices": N_("Prices"),
    "tourism": N_("Tourism"),
    "investment": N_("Investment"),
    "enterprise": N_("Enterprises"),
    "finance": N_("Public finance"),
    "population": N_("Population"),
    "labour": N_("Labour and employment"),
    "social": N_("Social affairs"),
    "health": N_("Health"),
    "education": N_("Education"),
    "public_service": N_("Public services and citizen feedback"),
}
CADENCE_LABELS = {
    "day": N_("Daily"),
    "week": N_("Weekly"),
    "month": N_("Monthly"),
    "decree09_month": N_("Monthly (Decree 09 reporting period)"),
    "quarter": N_("Quarterly"),
    "year": N_("Yearly"),
}
AGG_UNITS_LABELS = {
    "sum": N_("Sum"),
    "avg": N_("Average"),
    "wavg": N_("Weighted average"),
    "min": N_("Minimum"),
    "max": N_("Maximum"),
    "none": N_("Not aggregated"),
}
AGG_TIME_LABELS = {
    "sum": N_("Sum"),
    "avg": N_("Average"),
    "last": N_("Last value"),
    "first": N_("First value"),
    "max": N_("Maximum"),
    "min": N_("Minimum"),
}
DIRECTION_LABELS = {
    "up": N_("Higher is better"),
    "down": N_("Lower is better"),
    "none": N_("Neither"),
}
LEVEL_LABELS = {
    "commune": N_("Commune"),
    "district": N_("District"),
    "province": N_("Province"),
}
# Pydantic error types → message ids shown next to a field (catalog checks have their own).
FIELD_MESSAGES = {
    "missing": N_("This field is required"),
    "string_too_short": N_("This text is too short"),
    "string_too_long": N_("This text is too long"),
    "literal_error": N_("Choose one of the listed values"),
    "int_parsing": N_("Enter a whole number"),
    "int_from_float": N_("Enter a whole number"),
    "float_parsing": N_("Enter a number"),
    "greater_than_equal": N_("The number is too small"),
    "less_than_equal": N_("The number is too large"),
}
PATTERN_MESSAGES = {
    "code": N_("Capital letters, digits and _, starting with a letter (e.g. GRDP_GROWTH)"),
    "weight_indicator": N_("Choose an indicator from the list"),
    "sector": N_("Lower-case letters, digits and _ (e.g. economy)"),
    "component": N_("Lower-case letters, digits and _ (e.g. economy)"),
}
FALLBACK_MESSAGE = N_("This value is not valid")
LABELS = {
    "components": COMPONENT_LABELS,
    "sectors": SECTOR_LABELS,
    "cadences": CADENCE_LABELS,
    "agg_units": AGG_UNITS_LABELS,
    "agg_time": AGG_TIME_LABELS,
    "directions": DIRECTION_LABELS,
    "levels": LEVEL_LABELS,
}


# --- the catalog -----------------------------------------------------------------------------


def _name(item: IndicatorOut, locale: str) -> str:
    return item.name_vi if locale == "vi" else item.name_en


def readable_formula(formula: str | None, names: dict[str, str], locale: str) -> str:
    """The formula with indicator names and ``× ÷``; the stored text if it no longer parses."""
    if not formula:
        return ""
    try:
        return expressions.describe(formula, names, locale=locale)
    except expressions.ExpressionError:
        return formula


def _groups(items: list[IndicatorOut], names: dict[str, str], locale: str) -> list[dict[str, Any]]:
    """Component → sector → rows, in the catalog's order (component, sector, code)."""
    groups: list[dict[str, Any]] = []
    for item in items:
        if not groups or groups[-1]["component"] != item.component:
            groups.append({"component": item.component, "sectors": []})
        sectors = groups[-1]["sectors"]
        if not sectors or sectors[-1]["sector"] != item.sector:
            sectors.append({"sector": item.sector, "rows": []})
        sectors[-1]["rows"].append(
            {
                "item": item,
                "name": names[item.code],
                "unit": item.measure_unit_vi if locale == "vi" else item.measure_unit_en,
                "formula": readable_formula(item.formula, names, locale),
            }
        )
    return groups


@router.get("/indicators", dependencies=[require("indicators.read")])
def catalog_page(
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    q: Annotated[str | None, Query(max_length=200)] = None,
    saved: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """Every active indicator, grouped; ``q`` filters by code or name, accents optional."""
    locale = page_locale(request)
    items, total = service.list_indicators(db=db, q=q, limit=CATALOG_LIMIT)
    if q:
        # formulas name other indicators, which the filter may have left out
        everything, _ = service.list_indicators(db=db, limit=CATALOG_LIMIT)
    else:
        everything = items
    names = {item.code: _name(item, locale) for item in everything}
    groups = _groups(items, names, locale)
    context: dict[str, Any] = {
        "groups": groups,
        "total": total,
        "q": q or "",
        "saved": saved,
        "can_manage": allowed(actor, "indicators.manage"),
        **LABELS,
    }
    if request.headers.get("hx-request"):
        return render(request, "indicators/catalog_list.html", context)
    return render(request, "indicators/catalog.html", context)


# --- the forms -------------------------------------------------------------------------------


class IndicatorForm(BaseModel):
    """What the edit form posts: text as typed, converted by ``IndicatorIn`` afterwards."""

    model_config = ConfigDict(extra="ignore")

    code: str = ""
    name_vi: str = ""
    name_en: str = ""
    description_vi: str = ""
    description_en: str = ""
    measure_unit_vi: str = ""
    measure_unit_en: str = ""
    sector: str = ""
    component: str = "local"
    agg_units: str = "sum"
    weight_indicator: str = ""
    agg_time: str = "sum"
    direction: str = "up"
    decimals: str = "1"
    disaggregations: list[str] = []
    owner_agency: str = ""
    cadence: str = "month"
    deadline_workdays: str = "10"
    report_level: str = "province"
    formula: str = ""
    threshold_ok: str = "1"
    threshold_warn: str = "0.9"
    active: str = ""

    def definition(self, *, editing: bool) -> dict[str, Any]:
        data = self.model_dump()
        data["active"] = bool(self.active) if editing else True
        return data


def _message(entry: dict[str, Any], locale: str) -> str:
    kind = str(entry.get("type", ""))
    params = entry.get("params") or {}
    field = str(entry["location"][-1]) if entry.get("location") else ""
    reason_template = entry.get("reason_template")
    if kind == "formula_syntax" and reason_template:
        reason_params = entry.get("reason_params") or {}
        reason = gettext(reason_template, locale).format(**reason_params)
        template = service.CATALOG_MESSAGES[kind]
        return gettext(template, locale) % {**params, "reason": reason}
    if kind in service.CATALOG_MESSAGES:
        return gettext(service.CATALOG_MESSAGES[kind], locale) % params
    if kind == "string_pattern_mismatch" and field in PATTERN_MESSAGES:
        return gettext(PATTERN_MESSAGES[field], locale)
    return gettext(FIELD_MESSAGES.get(kind, FALLBACK_MESSAGE), locale)


def field_errors(problem: ProblemError, locale: str) -> dict[str, list[str]]:
    """Field name → messages in ``locale`` (disaggregation errors gather on one field)."""
    found: dict[str, list[str]] = {}
    for entry in problem.errors:
        location = [str(p) for p in entry.get("location", [])]
        field = location[1] if len(location) > 1 else "form"
        found.setdefault(field, []).append(_message(entry, locale))
    return found


def _form_page(
    request: Request,
    db: Session,
    *,
    form: dict[str, Any],
    editing: IndicatorOut | None,
    problem: ProblemError | None = None,
) -> Response:
    locale = page_locale(request)
    settings = get_settings(request)
    indicators, _ = service.list_indicators(db=db, limit=CATALOG_LIMIT)
    province = units_service.get_unit(
        db=db, code=settings.home_province, hierarchy=units_service.CURRENT
    )
    agencies, _count = units_service.children(db=db, unit_id=province.id, level="agency")
    context: dict[str, Any] = {
        "form": form,
        "editing": editing,
        "indicators": [(i.code, _name(i, locale)) for i in indicators],
        "agencies": [(a.code, a.name) for a in agencies],
        "dimensions": service.list_dimensions(db=db),
        "errors": field_errors(problem, locale) if problem else {},
        "problem_title": CATALOG[problem.code].title if problem else None,
        **LABELS,
    }
    status = problem.status if problem else 200
    return render(request, "indicators/edit.html", context, status_code=status)


def _save(
    request: Request,
    db: Session,
    actor: Actor,
    form: IndicatorForm,
    editing: IndicatorOut | None,
) -> Response:
    values = form.definition(editing=editing is not None)
    if editing is not None:
        values["code"] = editing.code
    try:
        try:
            data = IndicatorIn.model_validate(values)
        except ValidationError as exc:
            raise from_validation(exc) from exc
        if editing is None:
            saved = service.create_indicator(db=db, actor=actor, data=data)
        else:
            saved = service.update_indicator(db=db, actor=actor, code=editing.code, data=data)
    except ProblemError as problem:
        if problem.code not in ("validation_error", "indicator_exists"):
            raise
        db.rollback()
        return _form_page(request, db, form=values, editing=editing, problem=problem)
    return RedirectResponse(f"/indicators?saved={saved.code}", status_code=303)


def _current_form(item: IndicatorOut) -> dict[str, Any]:
    return item.model_dump(include=set(IndicatorForm.model_fields))


@router.get("/indicators/new", dependencies=[require("indicators.manage")])
def new_indicator_form(request: Request, db: DbSession) -> Response:
    """An empty definition with the usual choices preselected."""
    return _form_page(request, db, form=IndicatorForm().model_dump(), editing=None)


@router.post("/indicators/new", dependencies=[require("indicators.manage")])
def new_indicator_submit(
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    form: Annotated[IndicatorForm, Form()],
) -> Response:
    """Create the indicator (CSRF-checked by the actor resolver) or show what to correct."""
    return _save(request, db, actor, form, None)


@router.get("/indicators/{code}/edit", dependencies=[require("indicators.manage")])
def edit_indicator_form(request: Request, db: DbSession, code: str) -> Response:
    """The current definition, ready to change (the change becomes a new version)."""
    item = service.get_indicator(db=db, code=code)
    return _form_page(request, db, form=_current_form(item), editing=item)


@router.post("/indicators/{code}/edit", dependencies=[require("indicators.manage")])
def edit_indicator_submit(
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    code: str,
    form: Annotated[IndicatorForm, Form()],
) -> Response:
    item = service.get_indicator(db=db, code=code)
    return _save(request, db, actor, form, item)
