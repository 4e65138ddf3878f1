"""Annotations JSON API under ``/api/v1/indicators``: dated notes on an indicator's charts.

* ``GET /{code}/annotations?unit=&from=&to=`` — what a chart of ``unit`` shows (the unit's
  own, its ancestors', the unit-less ones) overlapping ``from``–``to``; without ``unit``,
  everything the caller's scope reaches. ``from``/``to`` are days (``2026-10-15``) or any
  period (``2026-10`` = from its first day / to its last). Needs ``indicators.read``.
* ``POST /{code}/annotations`` — 201 with the annotation. Needs ``indicators.ingest`` (the
  right to write the indicator's data) and the unit in the caller's scope (``out_of_scope``);
  a note for every unit needs an installation-wide writer.
* ``DELETE /annotations/{id}`` — 204. Same rights; a component's annotation (a directive's)
  is ``conflict``: it is removed with the directive.

Bad input is ``validation_error`` (422) with typed entries located at the field
(``text_required``, ``text_too_long``, ``end_before_start``, ``invalid_link``,
``unknown_unit``, ``kind_reserved``); an unknown indicator ``indicator_not_found`` (404).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from dieuhanh.core.errors import ProblemError
from dieuhanh.core.http import CurrentActor, DbSession, Locale, Page, Pagination, require
from dieuhanh.core.periods import Period, PeriodError
from dieuhanh.domains.indicators import service
from dieuhanh.domains.indicators.api_catalog import CODE, Code
from dieuhanh.domains.indicators.catalog_checks import error, invalid
from dieuhanh.domains.indicators.schemas import HierarchyName
from dieuhanh.domains.indicators.schemas_annotations import AnnotationIn, AnnotationOut

router = APIRouter(prefix="/api/v1/indicators", tags=["indicator annotations"])

READ = [require("indicators.read")]
WRITE = [require("indicators.ingest")]
From = Annotated[
    str | None,
    Query(alias="from", max_length=16, description="First day (2026-10-15) or period (2026-10)"),
]
To = Annotated[
    str | None, Query(alias="to", max_length=16, description="Last day or period (inclusive)")
]


def _period(text: str | None, name: str) -> Period | None:
    if text is None:
        return None
    try:
        return Period.parse(text)
    except PeriodError as exc:
        raise ProblemError(
            "invalid_period",
            detail=str(exc),
            errors=[error(("query", name), "invalid_period", str(exc))],
        ) from None


@router.get(f"/{CODE}/annotations", response_model=Page[AnnotationOut], dependencies=READ)
def list_annotations(
    code: Code,
    db: DbSession,
    actor: CurrentActor,
    locale: Locale,
    page: Pagination,
    unit: Annotated[str | None, Query(max_length=64, description="Unit code, e.g. 48")] = None,
    hierarchy: Annotated[HierarchyName | None, Query(description="The unit's map")] = None,
    start: From = None,
    end: To = None,
) -> dict[str, Any]:
    """The annotations a chart of ``unit`` shows, by day (``text`` in your language)."""
    first, last = _period(start, "from"), _period(end, "to")
    if first is not None and last is not None and last.end < first.start:
        message = service.ANNOTATION_MESSAGES["end_before_start"]
        raise invalid([error(("query", "to"), "end_before_start", message)])
    items, total = service.list_annotations(
        db=db,
        actor=actor,
        codes=[code],
        unit=unit,
        hierarchy=hierarchy,
        start=first.start if first else None,
        end=last.end if last else None,
        locale=locale,
        limit=page[0],
        offset=page[1],
    )
    return {"items": items, "total": total, "limit": page[0], "offset": page[1]}


@router.post(
    f"/{CODE}/annotations", response_model=AnnotationOut, status_code=201, dependencies=WRITE
)
def create_annotation(
    code: Code, body: AnnotationIn, db: DbSession, actor: CurrentActor, locale: Locale
) -> AnnotationOut:
    """Pin a note or an event to the indicator's charts for a unit (or every unit)."""
    return service.create_annotation(db=db, actor=actor, code=code, data=body, locale=locale)


@router.delete("/annotations/{annotation_id}", status_code=204, dependencies=WRITE)
def delete_annotation(
    annotation_id: Annotated[int, Path(ge=1, description="The annotation's id")],
    db: DbSession,
    actor: CurrentActor,
) -> Response:
    """Remove a note people wrote."""
    service.delete_annotation(db=db, actor=actor, annotation_id=annotation_id)
    return Response(status_code=204)
