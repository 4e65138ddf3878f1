"""Citizen feedback API: what staff do with a report (``feedback.handle``, agency officers
on their agency's reports, other staff within their units): accept, pause and resume, ask
for and decide extensions, transfer, change the category, reject with a reason template,
publish the answer with its evidence, find and merge duplicates. Routes under
``/api/v1/feedback/reports/{code}/…``; see :mod:`.api` for intake and reading."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from dieuhanh.core.http import CurrentActor, DbSession, Locale, public, require
from dieuhanh.core.workdays import WorkCalendar
from dieuhanh.domains.feedback import service
from dieuhanh.domains.feedback.api import ReportCode, media_of, parse_part, read_multipart
from dieuhanh.domains.feedback.attachments import check
from dieuhanh.domains.feedback.schemas import (
    AnswerForm,
    DuplicateOut,
    ExtensionDecision,
    ExtensionIn,
    MergeIn,
    ModerateIn,
    PauseIn,
    RecategoriseIn,
    RejectIn,
    ReportOut,
    TransferIn,
)

router = APIRouter(prefix="/api/v1/feedback", tags=["feedback"])


@router.post(
    "/reports/{code}/accept",
    response_model=ReportOut,
    dependencies=[require("feedback.handle")],
)
def accept_report(
    code: ReportCode, request: Request, db: DbSession, actor: CurrentActor, locale: Locale
) -> ReportOut:
    """The responsible agency takes the report on; its resolve clock starts."""
    return service.accept_report(
        db=db, actor=actor, code=code, calendar=_calendar(request), locale=locale
    )


def _calendar(request: Request) -> WorkCalendar:
    calendar: WorkCalendar = request.app.state.workdays
    return calendar


HANDLE = [require("feedback.handle")]


@router.post("/reports/{code}/pause", response_model=ReportOut, dependencies=HANDLE)
def pause_report(
    code: ReportCode,
    data: PauseIn,
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    locale: Locale,
) -> ReportOut:
    """Stop the resolve clock, with a reason shown to the citizen."""
    return service.pause_report(
        db=db,
        actor=actor,
        code=code,
        reason=data.reason,
        calendar=_calendar(request),
        locale=locale,
    )


@router.post("/reports/{code}/resume", response_model=ReportOut, dependencies=HANDLE)
def resume_report(
    code: ReportCode, request: Request, db: DbSession, actor: CurrentActor, locale: Locale
) -> ReportOut:
    """Restart the resolve clock with the working time that was left."""
    return service.resume_report(
        db=db, actor=actor, code=code, calendar=_calendar(request), locale=locale
    )


@router.post("/reports/{code}/extension", response_model=ReportOut, dependencies=HANDLE)
def request_extension(
    code: ReportCode,
    data: ExtensionIn,
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    locale: Locale,
) -> ReportOut:
    """Ask for more working time; it counts only once granted."""
    return service.request_extension(
        db=db,
        actor=actor,
        code=code,
        hours=data.hours,
        reason=data.reason,
        calendar=_calendar(request),
        locale=locale,
    )


@router.post(
    "/reports/{code}/extension/decision",
    response_model=ReportOut,
    dependencies=[require("feedback.approve")],
)
def decide_extension(
    code: ReportCode,
    data: ExtensionDecision,
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    locale: Locale,
) -> ReportOut:
    """Grant or refuse the pending extension (operators, leaders, administrators)."""
    return service.decide_extension(
        db=db,
        actor=actor,
        code=code,
        grant=data.grant,
        note=data.note,
        calendar=_calendar(request),
        locale=locale,
    )


@router.post("/reports/{code}/transfer", response_model=ReportOut, dependencies=HANDLE)
def transfer_report(
    code: ReportCode,
    data: TransferIn,
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    locale: Locale,
) -> ReportOut:
    """Hand the report to another agency, with a reason; its accept clock starts again."""
    return service.transfer_report(
        db=db,
        actor=actor,
        code=code,
        agency=data.agency,
        reason=data.reason,
        calendar=_calendar(request),
        locale=locale,
    )


@router.post("/reports/{code}/category", response_model=ReportOut, dependencies=HANDLE)
def recategorise_report(
    code: ReportCode,
    data: RecategoriseIn,
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    locale: Locale,
) -> ReportOut:
    """Change the category (before acceptance the report is routed again)."""
    return service.recategorise_report(
        db=db,
        actor=actor,
        code=code,
        category=data.category,
        reason=data.reason,
        calendar=_calendar(request),
        locale=locale,
    )


@router.post("/reports/{code}/reject", response_model=ReportOut, dependencies=HANDLE)
def reject_report(
    code: ReportCode,
    data: RejectIn,
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    locale: Locale,
) -> ReportOut:
    """Reject with a reason template (see ``GET /reject-reasons``)."""
    return service.reject_report(
        db=db,
        actor=actor,
        code=code,
        reason=data.reason,
        note=data.note,
        calendar=_calendar(request),
        locale=locale,
    )


@router.get("/reject-reasons", response_model=dict[str, str], dependencies=[public()])
def reject_reasons(locale: Locale) -> dict[str, str]:
    """The reason templates a rejection must use, in the reader's language."""
    return service.reject_reasons(locale)


@router.post(
    "/reports/{code}/answer",
    response_model=ReportOut,
    responses={422: {"description": "answer_incomplete: each missing part and photo problem"}},
    openapi_extra={
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["answer"],
                        "properties": {
                            "answer": {"type": "string", "description": "AnswerForm as JSON"},
                            "files": {
                                "type": "array",
                                "items": {"type": "string", "format": "binary"},
                            },
                        },
                    }
                }
            }
        }
    },
    dependencies=HANDLE,
)
async def answer_report(
    code: ReportCode, request: Request, db: DbSession, actor: CurrentActor, locale: Locale
) -> ReportOut:
    """Publish the answer with its "after" photos; refused (nothing published) when a
    required part or the evidence is missing."""
    raw, uploads = await read_multipart(request, "answer")
    data = parse_part(AnswerForm, raw, "answer")
    media = media_of(request)
    files = await run_in_threadpool(check, uploads, media)
    result: ReportOut = await run_in_threadpool(
        service.answer_report,
        db=db,
        actor=actor,
        code=code,
        data=data,
        files=files,
        media=media,
        calendar=_calendar(request),
        locale=locale,
    )
    return result


@router.get("/reports/{code}/duplicates", response_model=list[DuplicateOut], dependencies=HANDLE)
def find_duplicates(
    code: ReportCode, request: Request, db: DbSession, actor: CurrentActor, locale: Locale
) -> list[DuplicateOut]:
    """Open reports nearby, of the same category, that read alike."""
    return service.find_duplicates(
        db=db, actor=actor, code=code, calendar=_calendar(request), locale=locale
    )


@router.post("/reports/{code}/merge", response_model=ReportOut, dependencies=HANDLE)
def merge_reports(
    code: ReportCode,
    data: MergeIn,
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    locale: Locale,
) -> ReportOut:
    """Fold this report into ``into``; every reporter follows the one answer."""
    return service.merge_reports(
        db=db, actor=actor, code=code, into=data.into, calendar=_calendar(request), locale=locale
    )


@router.post(
    "/reports/{code}/moderate",
    response_model=ReportOut,
    dependencies=[require("feedback.moderate")],
)
def moderate_report(
    code: ReportCode,
    data: ModerateIn,
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    locale: Locale,
) -> ReportOut:
    """Hide the report from the public side or rewrite its public text (the original stays
    in the staff view)."""
    return service.moderate_report(
        db=db, actor=actor, code=code, data=data, calendar=_calendar(request), locale=locale
    )
