"""Citizen feedback JSON API under ``/api/v1/feedback``.

Anyone may list the categories, submit a report (``feedback.submit``, anonymous visitors
included), follow one by its tracking code and read the public list; operators record
reports for callers (``feedback.intake``); staff read the reports in their scope
(``feedback.read``) and handle them (``feedback.handle``); administrators edit categories
(``feedback.categories.manage``). Submissions take an ``Idempotency-Key`` header: a retry
with the same key returns the first report and stores nothing new.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, TypeVar

from fastapi import APIRouter, Header, Path, Query, Request
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile as StarletteUpload
from starlette.responses import FileResponse, JSONResponse, Response

from dieuhanh.core.errors import ProblemError
from dieuhanh.core.http import (
    CurrentActor,
    DbSession,
    Locale,
    Page,
    Pagination,
    get_settings,
    public,
    require,
)
from dieuhanh.core.workdays import WorkCalendar
from dieuhanh.domains.feedback import service
from dieuhanh.domains.feedback.attachments import Media, check
from dieuhanh.domains.feedback.media import Upload
from dieuhanh.domains.feedback.schemas import (
    CategoryIn,
    CategoryOut,
    OperatorReportIn,
    PublicReport,
    ReportIn,
    ReportOut,
    RoutingRuleIn,
    RoutingRuleOut,
    Submitted,
    VerdictIn,
)
from dieuhanh.domains.feedback.stats import FeedbackStats

router = APIRouter(prefix="/api/v1/feedback", tags=["feedback"])
media_router = APIRouter(prefix="/feedback/media", tags=["feedback"])

T = TypeVar("T", bound=BaseModel)
# five photos of 10 MB and a 50 MB video, with room for the form itself
MAX_FORM_BYTES = 5 * 10 * 1024 * 1024 + 50 * 1024 * 1024 + 1024 * 1024

CategoryCode = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$")]
ReportCode = Annotated[str, Path(pattern=r"^[A-Za-z0-9-]{4,20}$", description="Tracking code")]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=100,
        description="Unique per report; a retry with the same key returns the first report",
    ),
]
ListParam = Annotated[str | None, Query(max_length=2000, description="Comma-separated")]


def policy_of(request: Request) -> service.IntakePolicy:
    settings = get_settings(request)
    return service.IntakePolicy(
        home_province=settings.home_province,
        calendar=request.app.state.workdays,
        require_identity=settings.feedback_require_identity,
        secret=settings.secret_key.get_secret_value(),
    )


def media_of(request: Request) -> Media:
    return Media.at(get_settings(request).media_dir)


async def read_multipart(request: Request, json_field: str) -> tuple[bytes, list[Upload]]:
    """The JSON part and the files of a multipart form, refused early when too large."""
    limit = MAX_FORM_BYTES
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ProblemError("payload_too_large", detail=f"at most {limit // 1_000_000} MB")
    kind = request.headers.get("content-type", "")
    if not kind.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        raise ProblemError("unsupported_media_type", detail="send multipart/form-data")
    form = await request.form(max_files=12, max_fields=20, max_part_size=64 * 1024)
    raw = form.get(json_field)
    if not isinstance(raw, str):
        raise ProblemError(
            "validation_error",
            errors=[{"location": ["body", json_field], "message": "a JSON document is required"}],
        )
    uploads = []
    for item in form.getlist("files"):
        if isinstance(item, StarletteUpload):
            data = await item.read(limit + 1)
            uploads.append(Upload(data, item.filename or "file", item.content_type))
    await form.close()
    return raw.encode(), uploads


def parse_part(model: type[T], raw: bytes, field: str) -> T:
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        errors = [
            {"location": ["body", field, *[str(p) for p in e["loc"]]], "message": e["msg"]}
            for e in exc.errors(include_url=False)
        ]
        raise ProblemError("validation_error", errors=errors) from None


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


def _created(result: Submitted) -> JSONResponse:
    return JSONResponse(result.model_dump(mode="json"), status_code=200 if result.replayed else 201)


@router.get("/categories", response_model=list[CategoryOut], dependencies=[public()])
def list_categories(db: DbSession, locale: Locale) -> list[CategoryOut]:
    """The categories in use, in the order citizens see them."""
    return service.list_categories(db=db, locale=locale)


@router.get("/categories/{code}", response_model=CategoryOut, dependencies=[public()])
def get_category(code: CategoryCode, db: DbSession, locale: Locale) -> CategoryOut:
    return service.get_category(db=db, code=code, locale=locale)


@router.post(
    "/categories",
    response_model=CategoryOut,
    status_code=201,
    dependencies=[require("feedback.categories.manage")],
)
def create_category(data: CategoryIn, db: DbSession, actor: CurrentActor) -> CategoryOut:
    return service.create_category(db=db, actor=actor, data=data)


@router.put(
    "/categories/{code}",
    response_model=CategoryOut,
    dependencies=[require("feedback.categories.manage")],
)
def update_category(
    code: CategoryCode,
    data: CategoryIn,
    db: DbSession,
    actor: CurrentActor,
    version: Annotated[int, Query(ge=1, description="The version read (optimistic locking)")],
) -> CategoryOut:
    return service.update_category(db=db, actor=actor, code=code, data=data, version=version)


@router.post(
    "/reports",
    response_model=Submitted,
    status_code=201,
    responses={200: {"description": "A replay: the report first submitted with this key"}},
    dependencies=[require("feedback.submit")],
)
def submit_report(
    data: ReportIn,
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    locale: Locale,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Submit a report as a citizen (the app, the API)."""
    result = service.submit_report(
        db=db,
        actor=actor,
        data=data,
        policy=policy_of(request),
        idempotency_key=idempotency_key,
        locale=locale,
    )
    return _created(result)


@router.post(
    "/intake",
    response_model=Submitted,
    status_code=201,
    responses={200: {"description": "A replay: the report first recorded with this key"}},
    dependencies=[require("feedback.intake")],
)
def record_report(
    data: OperatorReportIn,
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Record a report for a caller (hotline 1022, e-mail, …); the channel is kept."""
    result = service.record_report(
        db=db, actor=actor, data=data, policy=policy_of(request), idempotency_key=idempotency_key
    )
    return _created(result)


@router.get("/track/{code}", response_model=PublicReport, dependencies=[public()])
def track_report(code: ReportCode, db: DbSession, locale: Locale) -> PublicReport:
    """Follow a report by its tracking code: its status and public updates, no identity."""
    return service.track_report(db=db, code=code, locale=locale)


def _filters(
    category: str | None,
    status: str | None,
    unit: str | None,
    agency: str | None,
    start: datetime | None,
    end: datetime | None,
    overdue: bool | None = None,
) -> service.ReportFilter:
    return service.ReportFilter(
        categories=_split(category),
        statuses=_split(status),
        unit=unit,
        agency=agency,
        start=start,
        end=end,
        overdue=overdue,
    )


@router.get("/public/reports", response_model=Page[PublicReport], dependencies=[public()])
def public_reports(
    db: DbSession,
    locale: Locale,
    page: Pagination,
    category: ListParam = None,
    status: ListParam = None,
    unit: Annotated[str | None, Query(max_length=64)] = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> Page[PublicReport]:
    """The public list (and map): status and published answers, nothing private."""
    filters = _filters(category, status, unit, None, start, end)
    return service.list_public_reports(
        db=db, filters=filters, limit=page[0], offset=page[1], locale=locale
    )


@router.get("/reports", response_model=Page[ReportOut], dependencies=[require("feedback.read")])
def list_reports(
    db: DbSession,
    actor: CurrentActor,
    locale: Locale,
    page: Pagination,
    category: ListParam = None,
    status: ListParam = None,
    unit: Annotated[str | None, Query(max_length=64)] = None,
    agency: Annotated[str | None, Query(max_length=64)] = None,
    start: datetime | None = None,
    end: datetime | None = None,
    overdue: bool | None = None,
) -> Page[ReportOut]:
    """The reports in the caller's scope, newest first."""
    filters = _filters(category, status, unit, agency, start, end, overdue)
    return service.list_reports(
        db=db, actor=actor, filters=filters, limit=page[0], offset=page[1], locale=locale
    )


@router.get("/reports/{code}", response_model=ReportOut, dependencies=[require("feedback.read")])
def get_report(code: ReportCode, db: DbSession, actor: CurrentActor, locale: Locale) -> ReportOut:
    return service.get_report(db=db, actor=actor, code=code, locale=locale)


_FORM_BODY = {
    "requestBody": {
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["report"],
                    "properties": {
                        "report": {"type": "string", "description": "ReportIn as JSON"},
                        "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
                    },
                }
            }
        }
    }
}


@router.post(
    "/reports/form",
    response_model=Submitted,
    status_code=201,
    responses={
        200: {"description": "A replay: the report first submitted with this key"},
        413: {"description": "media_too_large / payload_too_large"},
        415: {"description": "media_type_not_allowed"},
    },
    openapi_extra=_FORM_BODY,
    dependencies=[require("feedback.submit")],
)
async def submit_report_form(
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    locale: Locale,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Submit a report with up to 5 photos or a short video (the citizen app's form):
    every file is checked before anything is stored; one bad file refuses the whole."""
    raw, uploads = await read_multipart(request, "report")
    data = parse_part(ReportIn, raw, "report")
    media = media_of(request)
    files = await run_in_threadpool(check, uploads, media)
    result = await run_in_threadpool(
        service.submit_report,
        db=db,
        actor=actor,
        data=data,
        policy=policy_of(request),
        idempotency_key=idempotency_key,
        locale=locale,
        files=files,
        media=media,
    )
    return _created(result)


@router.post("/track/{code}/verdict", response_model=PublicReport, dependencies=[public()])
def give_verdict(
    code: ReportCode, data: VerdictIn, request: Request, db: DbSession, locale: Locale
) -> PublicReport:
    """The reporter's "đã xử lý / chưa xử lý" and rating (the key of their follow link)."""
    return service.give_verdict(
        db=db, code=code, data=data, policy=policy_of(request), locale=locale
    )


@router.get(
    "/media/{attachment_id}/original",
    response_class=FileResponse,
    dependencies=[require("feedback.read")],
)
def original_media(
    attachment_id: Annotated[int, Path(ge=1)], request: Request, db: DbSession, actor: CurrentActor
) -> FileResponse:
    """A photo or video as sent (staff in the report's scope: it holds place and camera)."""
    path, media_type = service.original_media(
        db=db, actor=actor, media=media_of(request), attachment_id=attachment_id
    )
    return FileResponse(path, media_type=media_type, headers={"Cache-Control": "private"})


@media_router.get("/{attachment_id}", response_class=FileResponse, dependencies=[public()])
def public_media(
    attachment_id: Annotated[int, Path(ge=1)], request: Request, db: DbSession
) -> FileResponse:
    """The public copy of a photo or video (metadata stripped), for anyone."""
    path, media_type = service.public_media(
        db=db, media=media_of(request), attachment_id=attachment_id
    )
    return FileResponse(
        path, media_type=media_type, headers={"Cache-Control": "public, max-age=86400"}
    )


@router.get("/stats", response_model=FeedbackStats, dependencies=[require("feedback.read")])
def feedback_stats(
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    unit: Annotated[str | None, Query(max_length=64)] = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> FeedbackStats:
    """For the operations centre: by status, category, channel, unit and agency; on-time
    rates, working hours to accept and to answer, satisfaction, overdue now."""
    calendar: WorkCalendar = request.app.state.workdays
    return service.feedback_stats(
        db=db, actor=actor, calendar=calendar, unit=unit, start=start, end=end
    )


@router.get(
    "/routing-rules",
    response_model=list[RoutingRuleOut],
    dependencies=[require("feedback.read")],
)
def list_routing_rules(db: DbSession) -> list[RoutingRuleOut]:
    """The province's exceptions to each category's default agency."""
    return service.list_rules(db=db)


@router.put(
    "/routing-rules",
    response_model=RoutingRuleOut,
    dependencies=[require("feedback.categories.manage")],
)
def put_routing_rule(data: RoutingRuleIn, db: DbSession, actor: CurrentActor) -> RoutingRuleOut:
    """Create the rule for (category, unit) or point it at another agency."""
    return service.put_rule(db=db, actor=actor, data=data)


@router.delete(
    "/routing-rules/{rule_id}",
    status_code=204,
    dependencies=[require("feedback.categories.manage")],
)
def delete_routing_rule(
    rule_id: Annotated[int, Path(ge=1)], db: DbSession, actor: CurrentActor
) -> Response:
    service.delete_rule(db=db, actor=actor, rule_id=rule_id)
    return Response(status_code=204)
