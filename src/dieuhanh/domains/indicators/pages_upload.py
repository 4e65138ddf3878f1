"""The write path as pages: uploading a CSV or Excel file, and the history of a value.

These are the pages of what ``api_data`` offers integrators, for operators who work in a
browser:

* ``GET /indicators/upload`` — a form to send one file, what its columns mean (the real names
  ``ingest_files`` reads) and a CSV template; ``POST`` sends the file through
  ``service.ingest_file``, the same path as ``POST /api/v1/indicators/data/upload``. A file is
  therefore checked exactly as the API checks it (every bad row with its row and column, all
  or nothing) and answered with the same problem codes and status codes — 201 written,
  200 replayed, 422 rejected, 413 too large, 415 neither CSV nor Excel — rendered in the page
  instead of as JSON.
* Idempotency: the form carries a random UUID rendered with it, and that UUID (with the
  actor) is the batch's idempotency key. A double click or a re-sent form therefore replays
  the first batch instead of writing it twice, while every answer shows a new form with a
  fresh key for the next file.
* CSRF: the hidden ``csrf_token`` field, checked by the actor resolver like every form of the
  application (``pages_catalog``). The resolver parses the multipart body to find the field,
  so a body declared too large is refused before that (a 2 GB upload is not spooled to disk
  first), and the file's real size is checked by the service after.
* ``GET /indicators/{code}/revisions`` — every value one cell has had (current first), as an
  HTMX fragment for the links of the detail page's table, or as a page without JavaScript.
"""

from __future__ import annotations

import csv
import io
import uuid
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.responses import Response

from dieuhanh.core.errors import CATALOG, ProblemError
from dieuhanh.core.http import CurrentActor, DbSession, get_settings, require
from dieuhanh.core.i18n import N_, format_number, gettext
from dieuhanh.core.pages import page_locale, render
from dieuhanh.core.periods import Period, label, parse
from dieuhanh.core.security import Actor
from dieuhanh.domains.indicators import service
from dieuhanh.domains.indicators.pages_catalog import CATALOG_LIMIT
from dieuhanh.domains.indicators.pages_detail_view import CODE_PATH, READ, STORED_TYPES
from dieuhanh.domains.indicators.schemas import IndicatorOut
from dieuhanh.domains.indicators.schemas_ingest import MAX_ROWS, BatchOut, RevisionOut
from dieuhanh.domains.units import service as units

router = APIRouter(tags=["pages"], include_in_schema=False)

UPLOAD_PATH = "/indicators/upload"
TEMPLATE_PATH = UPLOAD_PATH + "/template.csv"
FILE_FIELD = "file"
KEY_FIELD = "idempotency_key"
MEGABYTE = 1024 * 1024
_MULTIPART_SLACK = 64 * 1024  # boundaries, part headers and the two hidden fields
TEMPLATE_FILENAME = "mau-nhap-so-lieu.csv"
TEMPLATE_COLUMNS = ("indicator", "unit", "period", "value", "status")
EXAMPLE_VALUE = "100"
# What to do about a refused file, in the reader's language (the API's ``detail`` texts
# are English; the page shows them only when it has nothing better).
HINTS = {
    "payload_too_large": N_(
        "A file may hold at most %(mb)s MB and %(rows)s rows; split it into several files."
    ),
    "unsupported_media_type": N_(
        "Only CSV files (UTF-8) named .csv and Excel workbooks named .xlsx are accepted."
    ),
    "idempotency_conflict": N_(
        "This form was already used to send another file; send the file again with the new "
        "form below."
    ),
}
NO_FILE = N_("Choose a CSV or Excel file to upload.")
NO_KEY = N_("The form is incomplete; reload the page and try again.")
STATUS_LABELS = {"provisional": N_("Provisional"), "final": N_("Final")}

INGEST = [require("indicators.ingest")]


# --- the upload form ---------------------------------------------------------------------------


def _example_indicator(db: Session) -> IndicatorOut | None:
    """The first active indicator that can be written (a formula's value is computed)."""
    items, _total = service.list_indicators(db=db, limit=CATALOG_LIMIT)
    writable = [i for i in items if not i.formula and i.cadence in STORED_TYPES]
    return writable[0] if writable else None


def template_rows(db: Session, unit: str) -> list[list[str]]:
    """The header row and, when the catalog has a writable indicator, one example row for
    its latest finished period (so the template, uploaded as is, would be accepted)."""
    rows = [list(TEMPLATE_COLUMNS)]
    indicator = _example_indicator(db)
    if indicator is not None:
        period = Period.containing(STORED_TYPES[indicator.cadence], units.today()).previous()
        rows.append([indicator.code, unit, str(period), EXAMPLE_VALUE, "provisional"])
    return rows


def _csv_text(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def _problem(problem: ProblemError, locale: str) -> dict[str, Any]:
    """A refusal as the page shows it: the API's title, code and errors, plus a hint."""
    hint = ""
    if problem.code in HINTS:
        hint = gettext(HINTS[problem.code], locale) % {
            "mb": format_number(service.MAX_UPLOAD_BYTES // MEGABYTE, locale),
            "rows": format_number(MAX_ROWS, locale),
        }
    return {
        "code": problem.code,
        "status": problem.status,
        "title": gettext(CATALOG[problem.code].title, locale),
        "detail": problem.detail or "",
        "hint": hint,
        "errors": problem.errors,
    }


def _upload_page(
    request: Request,
    db: Session,
    *,
    batch: BatchOut | None = None,
    problem: ProblemError | None = None,
    filename: str = "",
) -> Response:
    locale = page_locale(request)
    example = template_rows(db, get_settings(request).home_province)
    context: dict[str, Any] = {
        "form_key": str(uuid.uuid4()),
        "max_mb": service.MAX_UPLOAD_BYTES // MEGABYTE,
        "max_rows": MAX_ROWS,
        "dimensions": [d.code for d in service.list_dimensions(db=db)],
        "example": _csv_text(example),
        "template_url": TEMPLATE_PATH,
        "batch": batch,
        "filename": filename,
        "problem": _problem(problem, locale) if problem else None,
    }
    if problem is not None:
        status = problem.status
    else:
        status = 201 if batch is not None and not batch.replayed else 200
    return render(request, "indicators/upload.html", context, status_code=status)


def _declared_size(request: Request) -> None:
    """Refuse a body declared larger than any acceptable file before anything reads it: the
    actor resolver parses the whole form to find its CSRF field."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > service.MAX_UPLOAD_BYTES + _MULTIPART_SLACK:
        raise ProblemError("payload_too_large", detail=f"at most {service.MAX_UPLOAD_BYTES} bytes")


def _idempotency_key(actor: Actor, sent: object, locale: str) -> str:
    """The batch key of a form: its UUID, per actor (the column holds 128 characters)."""
    try:
        form_id = uuid.UUID(sent if isinstance(sent, str) else "")
    except ValueError:
        raise ProblemError("validation_error", detail=gettext(NO_KEY, locale)) from None
    return f"page:{form_id.hex}:{actor.label}"[:128]


async def _read_upload(form: FormData, actor: Actor, locale: str) -> tuple[str, bytes, str]:
    """The file's name and bytes (one byte more than allowed at most, so that the service
    refuses an oversize file exactly as the API does) and the batch key."""
    upload = form.get(FILE_FIELD)
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise ProblemError("validation_error", detail=gettext(NO_FILE, locale))
    key = _idempotency_key(actor, form.get(KEY_FIELD), locale)
    data = await upload.read(service.MAX_UPLOAD_BYTES + 1)
    return upload.filename, data, key


@router.get(UPLOAD_PATH, dependencies=INGEST)
def upload_form(request: Request, db: DbSession) -> Response:
    """An empty form with a fresh idempotency key."""
    return _upload_page(request, db)


@router.post(UPLOAD_PATH, dependencies=[Depends(_declared_size), *INGEST])
async def upload_submit(request: Request, db: DbSession, actor: CurrentActor) -> Response:
    """Write the file as one batch (CSRF-checked by the actor resolver) and show the counts,
    or show every problem; the database work runs in the thread pool, as in ``api_data``."""
    locale = page_locale(request)
    filename = ""
    form = await request.form(max_files=1, max_fields=5)
    try:
        filename, data, key = await _read_upload(form, actor, locale)
        batch = await run_in_threadpool(
            service.ingest_file,
            db=db,
            actor=actor,
            filename=filename,
            data=data,
            idempotency_key=key,
            locale=locale,
        )
    except ProblemError as problem:
        await run_in_threadpool(db.rollback)
        return await run_in_threadpool(
            _upload_page, request, db, problem=problem, filename=filename
        )
    finally:
        await form.close()
    return await run_in_threadpool(_upload_page, request, db, batch=batch, filename=filename)


@router.get(TEMPLATE_PATH, dependencies=INGEST)
def upload_template(request: Request, db: DbSession) -> Response:
    """A CSV to fill in: UTF-8 with BOM (Excel then reads Vietnamese correctly), the column
    names the reader expects and one example row."""
    rows = template_rows(db, get_settings(request).home_province)
    return Response(
        ("\ufeff" + _csv_text(rows)).encode("utf-8"),
        media_type=service.CSV_MEDIA_TYPE,
        headers={"Content-Disposition": service.content_disposition(TEMPLATE_FILENAME)},
    )


# --- the history of one value ------------------------------------------------------------------


def _history_rows(items: list[RevisionOut]) -> list[dict[str, Any]]:
    """The revisions, newest first, each with the batch that wrote it: the current value
    knows its batch; an older revision *r* was written by the batch that replaced revision
    *r − 1* (unknown for the first value, whose writer is not kept once it is replaced)."""
    rows = []
    for index, item in enumerate(items):
        batch = item.batch
        if not item.current:
            older = items[index + 1] if index + 1 < len(items) else None
            batch = (
                older.replaced_in_batch
                if older is not None and older.revision == item.revision - 1
                else None
            )
        rows.append({"item": item, "batch": batch})
    return rows


@router.get(CODE_PATH + "/revisions", dependencies=READ)
def value_history(
    code: str,
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    unit: Annotated[str, Query(min_length=1, max_length=64)],
    period: Annotated[str, Query(min_length=1, max_length=16)],
    disagg: Annotated[str, Query(max_length=256)] = "",
    hierarchy: Literal["legacy", "2025"] | None = None,
) -> Response:
    """Every value of one cell, current first: an HTMX fragment, or a page without it.
    Scope is the service's (``out_of_scope`` for a unit outside the visitor's subtree)."""
    locale = page_locale(request)
    indicator = service.get_indicator(db=db, code=code)
    found = service.value_revisions(
        db=db,
        actor=actor,
        code=code,
        unit=unit,
        period=period,
        disagg=disagg,
        hierarchy=hierarchy,
    )
    place = units.get_unit(db=db, code=found.unit, hierarchy=found.hierarchy)
    when = parse(found.period)
    back = {
        "unit": found.unit,
        "hierarchy": found.hierarchy,
        "period_type": when.type.value,
        "period": str(when),
    }
    context: dict[str, Any] = {
        "indicator": indicator,
        "name": indicator.name_vi if locale == "vi" else indicator.name_en,
        "measure": indicator.measure_unit_vi if locale == "vi" else indicator.measure_unit_en,
        "decimals": indicator.decimals,
        "unit_name": place.name,
        "period_label": label(when, locale),
        "disagg": found.disagg,
        "rows": _history_rows(found.items),
        "status_labels": STATUS_LABELS,
        "back_url": f"/indicators/{code}?{urlencode(back)}",
    }
    partial = bool(request.headers.get("hx-request"))
    name = "indicators/revisions_table.html" if partial else "indicators/revisions.html"
    return render(request, name, context)
