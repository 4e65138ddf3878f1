"""Writing data under ``/api/v1/indicators``: bulk JSON, file upload, batches, revisions.

The two write routes read the request body themselves, with a byte limit enforced while
reading (413 as soon as it is exceeded, whatever ``Content-Length`` claims), instead of
letting the framework parse it: a bad row must come back as ``import_failed`` naming its row
and column, not as a generic validation error, and a 2 GB upload must not be spooled to disk
before being refused. The body schemas are still documented in OpenAPI.

``POST /data`` answers 201 with the new batch, or 200 with the original batch when an
``Idempotency-Key`` is replayed with the same body (409 ``idempotency_conflict`` with
another body). Scope violations (a unit outside the caller's subtree) are reported like any
other bad row — 422 ``import_failed`` with code ``out_of_scope`` on each such row — so that a
mixed file lists every row to fix at once rather than stopping at the first with a 403.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import JSONResponse
from starlette.types import Message

from dieuhanh.core.errors import ProblemError
from dieuhanh.core.http import CurrentActor, DbSession, Locale, require
from dieuhanh.domains.indicators import service
from dieuhanh.domains.indicators.api_catalog import CODE, Code
from dieuhanh.domains.indicators.schemas_ingest import (
    MAX_ROWS,
    BatchOut,
    HierarchyName,
    IngestRequest,
    ObservationIn,
    RevisionsOut,
)

router = APIRouter(prefix="/api/v1/indicators", tags=["indicators"])

IDEMPOTENCY = "Idempotency-Key"
_MULTIPART_SLACK = 64 * 1024  # boundaries and part headers around the file

_JSON_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                # inlined: a "$defs" reference would not resolve inside the OpenAPI document
                "schema": {
                    "title": IngestRequest.__name__,
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["rows"],
                    "properties": {
                        "rows": {
                            "type": "array",
                            "maxItems": MAX_ROWS,
                            "items": ObservationIn.model_json_schema(),
                        }
                    },
                }
            }
        },
    }
}
_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "CSV (UTF-8, ',' or ';') or .xlsx; header row: "
                            "indicator, unit, period, value[, status, hierarchy, <dimension>…]",
                        }
                    },
                }
            }
        },
    }
}
_WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": BatchOut, "description": "A replayed request: the original batch"},
    409: {"description": "idempotency_conflict: the key was used for another request"},
    413: {"description": f"payload_too_large: more than {MAX_ROWS} rows or bytes over limit"},
    422: {"description": "import_failed: every bad row and column; nothing was saved"},
}


async def _read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 once it passes ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise ProblemError("payload_too_large", detail=f"at most {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ProblemError("payload_too_large", detail=f"at most {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _replaying(request: Request, body: bytes) -> Request:
    """A request whose body is ``body`` already read, so Starlette can parse the form."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return Request(request.scope, receive)


def _batch_response(batch: BatchOut) -> JSONResponse:
    return JSONResponse(batch.model_dump(mode="json"), status_code=200 if batch.replayed else 201)


@router.post(
    "/data",
    status_code=201,
    response_model=BatchOut,
    responses=_WRITE_RESPONSES,
    openapi_extra=_JSON_BODY,
    dependencies=[require("indicators.ingest")],
)
async def post_data(
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    locale: Locale,
    idempotency_key: Annotated[
        str,
        Header(
            alias=IDEMPOTENCY,
            min_length=1,
            max_length=128,
            description="Unique per logical request; a retry with the same key and body "
            "returns the original batch and writes nothing",
        ),
    ],
) -> JSONResponse:
    """Write up to 100,000 observations at once, all or nothing."""
    body = await _read_body(request, service.MAX_JSON_BYTES)
    batch = await run_in_threadpool(
        service.ingest_json,
        db=db,
        actor=actor,
        body=body,
        idempotency_key=idempotency_key,
        locale=locale,
    )
    return _batch_response(batch)


@router.post(
    "/data/upload",
    status_code=201,
    response_model=BatchOut,
    responses={**_WRITE_RESPONSES, 415: {"description": "unsupported_media_type"}},
    openapi_extra=_UPLOAD_BODY,
    dependencies=[require("indicators.ingest")],
)
async def upload_data(
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    locale: Locale,
    idempotency_key: Annotated[
        str | None, Header(alias=IDEMPOTENCY, min_length=1, max_length=128)
    ] = None,
) -> JSONResponse:
    """Upload a CSV or Excel file of observations (at most 20 MB and 100,000 rows)."""
    body = await _read_body(request, service.MAX_UPLOAD_BYTES + _MULTIPART_SLACK)
    form = await _replaying(request, body).form(max_files=1, max_fields=5)
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise ProblemError(
                "validation_error",
                errors=[{"location": ["body", "file"], "message": "attach the file as 'file'"}],
            )
        data = await upload.read()
        filename = upload.filename or ""
    finally:
        await form.close()
    batch = await run_in_threadpool(
        service.ingest_file,
        db=db,
        actor=actor,
        filename=filename,
        data=data,
        idempotency_key=idempotency_key,
        locale=locale,
    )
    return _batch_response(batch)


@router.get(
    "/data/batches/{batch_id}",
    response_model=BatchOut,
    dependencies=[require("indicators.ingest")],
)
def get_batch(
    db: DbSession,
    actor: CurrentActor,
    batch_id: Annotated[int, Path(ge=1, description="Batch number from the write's answer")],
) -> BatchOut:
    """A batch's counts and warnings (your own batches; all of them for administrators)."""
    return service.get_batch(db=db, actor=actor, batch_id=batch_id)


@router.get(
    f"/{CODE}/revisions",
    response_model=RevisionsOut,
    dependencies=[require("indicators.read")],
)
def get_revisions(
    db: DbSession,
    actor: CurrentActor,
    code: Code,
    unit: Annotated[str, Query(min_length=1, max_length=64, description="Unit code")],
    period: Annotated[str, Query(min_length=1, max_length=16, description="e.g. 2026-07")],
    disagg: Annotated[
        str, Query(max_length=256, description="e.g. sex=female;area=urban; empty = total")
    ] = "",
    hierarchy: Annotated[
        HierarchyName | None,
        Query(description="Default: the hierarchy in force at the end of the period"),
    ] = None,
) -> RevisionsOut:
    """Every value this cell has had, the current one first, then older ones newest first."""
    return service.value_revisions(
        db=db,
        actor=actor,
        code=code,
        unit=unit,
        period=period,
        disagg=disagg,
        hierarchy=hierarchy,
    )
