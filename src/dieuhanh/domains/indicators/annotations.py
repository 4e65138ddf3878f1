"""Annotations: dated notes pinned to an indicator's charts, like Grafana's ("10/2026: bão số
12 đổ bộ", "directive issued: đẩy nhanh giải ngân").

An annotation belongs to one indicator and either one unit or every unit (``unit_id`` NULL).
A chart of a unit shows the annotations of that unit, of the units above it (a province-wide
storm note shows on a commune's chart) and the unit-less ones; across the 2025 reform a
legacy unit's chart also shows those of the units it became part of. A unit code is read on
today's map unless a hierarchy is named: people annotate the charts they look at.

Who may write is who may write the indicator's data (``indicators.ingest``: agency officers
only their agency's indicators), and only for units in their scope; a note for every unit
needs a writer whose scope is the whole installation. Notes people write have ``source``
``user``; other components (directives, issue 7) pass their own name and the kind
``directive``, and only the source that made an annotation may delete it, so a directive's
annotation cannot be removed from under it.

Writes go through the ORM so the audit hook records who added or removed what; they bump the
data version (kept dashboards recompute) and publish ``indicators.observations_written``
after the commit, naming the indicator, so open dashboards that show it redraw live.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from dieuhanh.core import events
from dieuhanh.core.db import utcnow
from dieuhanh.core.errors import ProblemError
from dieuhanh.core.i18n import N_, format_date, gettext
from dieuhanh.core.periods import Period, label
from dieuhanh.core.security import Actor, Role, allowed
from dieuhanh.domains.indicators import versions
from dieuhanh.domains.indicators.catalog import not_found, require_action, row_by_code
from dieuhanh.domains.indicators.catalog_checks import error, invalid
from dieuhanh.domains.indicators.models import Indicator, IndicatorAnnotation
from dieuhanh.domains.indicators.schemas_annotations import MAX_TEXT, AnnotationIn, AnnotationOut
from dieuhanh.domains.units import service as units_service
from dieuhanh.domains.units.service import UnitOut

READ = "indicators.read"
WRITE = "indicators.ingest"
USER_SOURCE = "user"
# the topic ingestion publishes: dashboards already refetch on it (see dashboards.live)
OBSERVATIONS_WRITTEN = "indicators.observations_written"
FIRST_YEAR, LAST_YEAR = 1900, 2100

# Error type -> English message id with %(name)s parameters (translated by the pages).
ANNOTATION_MESSAGES: dict[str, str] = {
    "text_required": N_("Write the text of the note"),
    "text_too_long": N_("At most %(max)s characters"),
    "end_before_start": N_("The end date is before the start date"),
    "invalid_link": N_("The link must start with / or http(s)://"),
    "unknown_unit": N_("No unit has the code %(value)s"),
    "kind_reserved": N_("Directives are added by issuing a directive"),
    "day_out_of_range": N_("The year must be between %(first)s and %(last)s"),
}
KIND_LABELS: dict[str, str] = {
    "note": N_("Note"),
    "event": N_("Event"),
    "directive": N_("Directive"),
}


def _known(location: Sequence[str | int], kind: str, **params: Any) -> dict[str, Any]:
    return error(location, kind, ANNOTATION_MESSAGES[kind] % params, **params)


def _scope(actor: Actor) -> int | None:
    return actor.scope_unit_id if actor.is_authenticated else None


def kind_label(kind: str, locale: str) -> str:
    return gettext(KIND_LABELS.get(kind, kind), locale)


# --- reading ---------------------------------------------------------------------------------


def _out(row: IndicatorAnnotation, code: str, unit: UnitOut | None, locale: str) -> AnnotationOut:
    return AnnotationOut(
        id=row.id,
        indicator=code,
        unit=unit.code if unit else None,
        unit_name=unit.name if unit else None,
        hierarchy=unit.hierarchy if unit else None,
        unit_id=row.unit_id,
        day=row.day,
        end_day=row.end_day,
        kind=row.kind,
        text_vi=row.text_vi,
        text_en=row.text_en,
        text=row.text_en if locale == "en" and row.text_en else row.text_vi,
        link=row.link,
        source=row.source,
        created_by=row.created_by,
        created_by_name=row.created_by_name or row.created_by,
        created_at=row.created_at,
    )


def _units_filter(db: Session, actor: Actor, unit: UnitOut | None) -> ColumnElement[bool] | None:
    """Which annotations a chart of ``unit`` shows; without a unit, those the viewer's scope
    reaches (its subtree, the units above it, and the unit-less ones)."""
    column = IndicatorAnnotation.unit_id
    if unit is not None:
        above = units_service.scope_ids(db=db, unit_id=unit.id)  # itself and its ancestors
        return or_(column.is_(None), column.in_(sorted(above)))
    scope = _scope(actor)
    if scope is None:
        return None
    above = units_service.scope_ids(db=db, unit_id=scope)
    return or_(
        column.is_(None),
        column.in_(sorted(above)),
        column.in_(units_service.subtree_ids_select(scope)),
    )


def list_annotations(
    *,
    db: Session,
    actor: Actor,
    codes: Sequence[str],
    unit: str | None = None,
    hierarchy: str | None = None,
    start: date | None = None,
    end: date | None = None,
    locale: str = "vi",
    limit: int = 1000,
    offset: int = 0,
) -> tuple[list[AnnotationOut], int]:
    """The annotations of ``codes`` for a chart of ``unit`` (within the viewer's scope:
    ``out_of_scope`` otherwise) that overlap ``start``–``end``, by day; and their total.

    ``unit`` is read on today's map unless ``hierarchy`` names one.
    """
    require_action(actor, READ)
    wanted = sorted(set(codes))
    rows_found = db.execute(select(Indicator.code, Indicator.id).where(Indicator.code.in_(wanted)))
    found: dict[str, int] = {row.code: row.id for row in rows_found}
    missing = [code for code in wanted if code not in found]
    if missing:
        raise not_found(missing[0])
    chart_unit = None
    if unit is not None:
        chart_unit = units_service.get_unit(
            db=db,
            code=unit,
            hierarchy=hierarchy or units_service.CURRENT,
            scope_unit_id=_scope(actor),
        )
    conditions: list[ColumnElement[bool]] = [IndicatorAnnotation.indicator_id.in_(found.values())]
    units_condition = _units_filter(db, actor, chart_unit)
    if units_condition is not None:
        conditions.append(units_condition)
    if end is not None:
        conditions.append(IndicatorAnnotation.day <= end)
    if start is not None:
        last_day = func.coalesce(IndicatorAnnotation.end_day, IndicatorAnnotation.day)
        conditions.append(last_day >= start)
    total = int(db.scalar(select(func.count()).where(*conditions)) or 0)
    rows = db.scalars(
        select(IndicatorAnnotation)
        .where(*conditions)
        .order_by(IndicatorAnnotation.day, IndicatorAnnotation.id)
        .limit(limit)
        .offset(offset)
    ).all()
    codes_by_id = {ident: code for code, ident in found.items()}
    unit_ids = {row.unit_id for row in rows if row.unit_id is not None}
    names = units_service.units_by_ids(db=db, unit_ids=unit_ids)
    items = [
        _out(
            row,
            codes_by_id[row.indicator_id],
            names.get(row.unit_id) if row.unit_id is not None else None,
            locale,
        )
        for row in rows
    ]
    return items, total


def chart_annotations(
    *,
    db: Session,
    actor: Actor,
    codes: Sequence[str],
    unit: str,
    hierarchy: str | None,
    periods: Sequence[str],
    locale: str,
) -> list[dict[str, Any]]:
    """The annotations of a chart whose x axis is ``periods`` (consecutive codes of one
    type), each placed at the period that holds its day (a span also at the period that
    holds its end, both kept within the chart): the shape dashboards and the indicator page
    draw from. ``label`` is the period's label; ``day_text`` the date(s) as people read them.
    """
    if not periods or not codes:
        return []
    first, last = Period.parse(periods[0]), Period.parse(periods[-1])
    found, _total = list_annotations(
        db=db,
        actor=actor,
        codes=codes,
        unit=unit,
        hierarchy=hierarchy,
        start=first.start,
        end=last.end,
        locale=locale,
    )
    shown = set(periods)
    marks: list[dict[str, Any]] = []
    for item in found:
        at = Period.containing(first.type, max(item.day, first.start))
        until = Period.containing(first.type, min(item.end_day, last.end)) if item.end_day else None
        if str(at) not in shown:
            continue
        day_text = format_date(item.day, locale)
        if item.end_day:
            day_text += " – " + format_date(item.end_day, locale)
        marks.append(
            {
                "id": item.id,
                "period": str(at),
                "end_period": str(until) if until and until != at else None,
                "label": label(at, locale),
                "day": item.day.isoformat(),
                "end_day": item.end_day.isoformat() if item.end_day else None,
                "day_text": day_text,
                "kind": item.kind,
                "kind_label": kind_label(item.kind, locale),
                "text": item.text,
                "link": item.link,
                "indicator": item.indicator,
                "unit": item.unit,
                "author": item.created_by_name,
            }
        )
    return marks


# --- who may write ---------------------------------------------------------------------------


def _writer_problem(
    db: Session, actor: Actor, indicator: Indicator, unit_id: int | None
) -> ProblemError | None:
    """Why ``actor`` may not annotate ``indicator`` for ``unit_id`` (None: every unit)."""
    if not allowed(actor, WRITE):
        return ProblemError("forbidden" if actor.is_authenticated else "not_authenticated")
    if actor.role == Role.AGENCY and indicator.owner_agency_id != actor.agency_unit_id:
        return ProblemError("forbidden", detail="agency officers annotate their agency's data")
    scope = actor.scope_unit_id
    if scope is None:
        return None
    if unit_id is None:
        return ProblemError(
            "out_of_scope", detail="a note for every unit needs an installation-wide writer"
        )
    if not units_service.is_within(db=db, unit_id=unit_id, scope_unit_id=scope):
        return ProblemError("out_of_scope", detail="the unit is outside your scope")
    return None


def may_annotate(*, db: Session, actor: Actor, code: str, unit_id: int | None) -> bool:
    """Whether ``actor`` may add an annotation to ``code`` for ``unit_id`` (pages ask, to
    show the form only to those who can use it)."""
    return _writer_problem(db, actor, row_by_code(db, code), unit_id) is None


def may_delete(*, db: Session, actor: Actor, annotation: AnnotationOut) -> bool:
    """Whether ``actor`` may delete ``annotation`` through the API (people's notes only)."""
    if annotation.source != USER_SOURCE:
        return False
    return may_annotate(db=db, actor=actor, code=annotation.indicator, unit_id=annotation.unit_id)


# --- writing ---------------------------------------------------------------------------------


def _link_ok(link: str) -> bool:
    """A path on this site (``/…``, not ``//host``) or an absolute http(s) URL with a host."""
    if any(ch.isspace() or ord(ch) < 32 or ch == "\\" for ch in link):
        return False
    if link.startswith("/"):
        return not link.startswith("//")
    try:
        parts = urlsplit(link)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _checked(
    data: AnnotationIn, source: str
) -> tuple[tuple[str, str | None, str | None], list[dict[str, Any]]]:
    """The texts and the link, stripped, and every rule they break."""
    errors: list[dict[str, Any]] = []
    text_vi = data.text_vi.strip()
    text_en = (data.text_en or "").strip() or None
    link = (data.link or "").strip() or None
    if not text_vi:
        errors.append(_known(("body", "text_vi"), "text_required"))
    for name, text in (("text_vi", text_vi), ("text_en", text_en)):
        if text and len(text) > MAX_TEXT:
            errors.append(_known(("body", name), "text_too_long", max=MAX_TEXT))
    for name, day in (("day", data.day), ("end_day", data.end_day)):
        if day is not None and not FIRST_YEAR <= day.year <= LAST_YEAR:
            errors.append(_known(("body", name), "day_out_of_range", first=FIRST_YEAR,
                                 last=LAST_YEAR))  # fmt: skip
    if data.end_day is not None and data.end_day < data.day:
        errors.append(_known(("body", "end_day"), "end_before_start"))
    if link is not None and not _link_ok(link):
        errors.append(_known(("body", "link"), "invalid_link"))
    if data.kind == "directive" and source == USER_SOURCE:
        errors.append(_known(("body", "kind"), "kind_reserved"))
    return (text_vi, text_en, link), errors


def _publish(db: Session, code: str, row: IndicatorAnnotation, action: str) -> None:
    """Kept dashboards are stale now; open ones showing ``code`` redraw after the commit."""
    versions.bump(db)
    days = {row.day.isoformat(), *([row.end_day.isoformat()] if row.end_day else [])}
    events.defer(
        db,
        OBSERVATIONS_WRITTEN,
        {
            "indicators": [code],
            "periods": sorted(days),
            "rows": 0,
            "source": "annotation",
            "annotation": row.id,
            "action": action,
        },
    )


def create_annotation(
    *,
    db: Session,
    actor: Actor,
    code: str,
    data: AnnotationIn,
    source: str = USER_SOURCE,
    locale: str = "vi",
) -> AnnotationOut:
    """Pin a note to ``code``'s charts for ``data.unit`` (or every unit), as ``actor``.

    Raises ``indicator_not_found``, ``validation_error`` (typed entries, every one at once:
    see :data:`ANNOTATION_MESSAGES`), ``forbidden`` or ``out_of_scope``.
    """
    require_action(actor, WRITE)
    indicator = row_by_code(db, code)
    (text_vi, text_en, link), errors = _checked(data, source)
    unit = _unit_or_none(db, data) if data.unit is not None else None
    if data.unit is not None and unit is None:
        errors.append(_known(("body", "unit"), "unknown_unit", value=data.unit))
    if errors:
        raise invalid(errors)
    refused = _writer_problem(db, actor, indicator, unit.id if unit else None)
    if refused is not None:
        raise refused
    db.info["actor"] = actor
    row = IndicatorAnnotation(
        indicator_id=indicator.id,
        unit_id=unit.id if unit else None,
        day=data.day,
        end_day=data.end_day if data.end_day != data.day else None,
        kind=data.kind,
        text_vi=text_vi,
        text_en=text_en,
        link=link,
        source=source,
        created_by=actor.label,
        created_by_name=(actor.extra.get("full_name") or actor.name or actor.label)[:255],
        created_at=utcnow(),
    )
    db.add(row)
    db.flush()
    _publish(db, code, row, "created")
    return _out(row, code, unit, locale)


def _unit_or_none(db: Session, data: AnnotationIn) -> UnitOut | None:
    """The unit named, on the map named (default today's), or None if there is none."""
    if data.unit is None:
        return None
    try:
        return units_service.get_unit(
            db=db, code=data.unit, hierarchy=data.hierarchy or units_service.CURRENT
        )
    except ProblemError:
        return None


def delete_annotation(
    *, db: Session, actor: Actor, annotation_id: int, source: str = USER_SOURCE
) -> None:
    """Remove an annotation made by ``source`` (people: ``user``), if ``actor`` could have
    written it. Another source's (a directive's) is ``conflict``: its owner removes it."""
    require_action(actor, WRITE)
    row = db.get(IndicatorAnnotation, annotation_id)
    if row is None or not _readable(db, actor, row):
        raise ProblemError("not_found", detail=f"no annotation {annotation_id}")
    indicator = db.get(Indicator, row.indicator_id)
    assert indicator is not None  # a foreign key
    refused = _writer_problem(db, actor, indicator, row.unit_id)
    if refused is not None:
        raise refused
    if row.source != source:
        raise ProblemError(
            "conflict", detail=f"made by {row.source}; only {row.source} can remove it"
        )
    db.info["actor"] = actor
    db.delete(row)
    db.flush()
    _publish(db, indicator.code, row, "deleted")


def _readable(db: Session, actor: Actor, row: IndicatorAnnotation) -> bool:
    """Whether ``actor`` could list ``row`` at all (others' annotations are not found)."""
    scope = _scope(actor)
    if scope is None or row.unit_id is None:
        return True
    return row.unit_id in units_service.scope_ids(db=db, unit_id=scope) or units_service.is_within(
        db=db, unit_id=row.unit_id, scope_unit_id=scope
    )
