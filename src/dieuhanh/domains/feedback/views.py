"""A report as the public sees it and as staff see it. The public view is built from an
explicit list of fields — never by removing private ones from the staff view — so a column
added later cannot leak the reporter's identity by default."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from dieuhanh.core.i18n import N_, gettext
from dieuhanh.domains.feedback.handling import REJECT_REASONS
from dieuhanh.domains.feedback.models import Attachment, Category, Report, ReportEvent
from dieuhanh.domains.feedback.schemas import (
    AnswerOut,
    EventOut,
    MediaOut,
    PublicReport,
    Reporter,
    ReportOut,
)
from dieuhanh.domains.units import service as units

STATUS_TEXT = {
    "new": N_("Waiting to be accepted"),
    "accepted": N_("Being handled"),
    "paused": N_("Paused"),
    "answered": N_("Answered"),
    "closed": N_("Closed"),
    "rejected": N_("Rejected"),
    "merged": N_("Merged with another report"),
}
EVENT_TEXT = {
    "submitted": N_("Report received"),
    "accepted": N_("Accepted by the responsible agency"),
    "paused": N_("Handling paused"),
    "resumed": N_("Handling resumed"),
    "transferred": N_("Transferred to another agency"),
    "recategorised": N_("Category changed"),
    "rejected": N_("Report rejected"),
    "merged": N_("Merged with another report"),
    "answered": N_("Answer published"),
    "reopened": N_("Reopened: the reporter says it is not resolved"),
    "closed": N_("Closed"),
    "extended": N_("Deadline extended"),
    "extension_requested": N_("More time asked for"),
    "extension_refused": N_("Extension refused"),
    "reminded": N_("Reminder sent to the agency"),
    "escalated": N_("Overdue: escalated to the supervising level"),
    "note": N_("Note"),
    "flagged": N_("Personal data or abusive words masked in the public text"),
    "moderated": N_("Public text moderated"),
}


def status_text(status: str, locale: str) -> str:
    return gettext(STATUS_TEXT[status], locale)


def _events(db: Session, report: Report, locale: str, *, staff: bool) -> list[EventOut]:
    statement = select(ReportEvent).where(ReportEvent.report_id == report.id)
    if not staff:
        statement = statement.where(ReportEvent.public.is_(True))
    out = []
    for event in db.scalars(statement.order_by(ReportEvent.id)):
        text = gettext(EVENT_TEXT.get(event.kind, N_("Note")), locale)
        reason = REJECT_REASONS.get(str(event.detail.get("reason", "")))
        if event.kind == "rejected" and reason:
            text = f"{text}: {gettext(reason, locale)}"
        if event.message:
            text = f"{text}: {event.message}"
        out.append(
            EventOut(
                at=event.at,
                kind=event.kind,
                status=event.status,
                message=text,
                actor=event.actor if staff else None,
            )
        )
    return out


def _media(db: Session, report: Report, *, staff: bool, role: str = "report") -> list[MediaOut]:
    rows = db.scalars(
        select(Attachment)
        .where(Attachment.report_id == report.id, Attachment.role == role)
        .order_by(Attachment.id)
    )
    out = []
    for row in rows:
        url = f"/feedback/media/{row.id}" if row.public_path else None
        if url is None and not staff:
            continue
        if staff and url is None:
            url = f"/api/v1/feedback/media/{row.id}/original"
        out.append(
            MediaOut(
                id=row.id, kind=row.kind, role=row.role, url=url, width=row.width, height=row.height
            )
        )
    return out


def _names(db: Session, report: Report) -> dict[str, str | None]:
    unit = units.get_unit_by_id(db=db, unit_id=report.unit_id) if report.unit_id else None
    agency = units.get_unit_by_id(db=db, unit_id=report.agency_id) if report.agency_id else None
    return {
        "unit": unit.code if unit else None,
        "unit_name": unit.name if unit else None,
        "agency": agency.code if agency else None,
        "agency_name": agency.name if agency else None,
    }


def _updated_at(db: Session, report: Report) -> object:
    last = db.scalar(
        select(ReportEvent.at)
        .where(ReportEvent.report_id == report.id)
        .order_by(ReportEvent.id.desc())
        .limit(1)
    )
    return last or report.submitted_at


def _answer(db: Session, report: Report, *, staff: bool) -> AnswerOut | None:
    """The report's answer, or for a merged report the answer of the one it joined."""
    source = report
    if report.duplicate_of_id is not None:
        master = db.get(Report, report.duplicate_of_id)
        source = master if master is not None else report
    if source.answer is None:
        return None
    return AnswerOut(
        parts=dict(source.answer.get("parts", {})),
        text=str(source.answer.get("text", "")),
        answered_at=source.answered_at,
        media=_media(db, source, staff=staff, role="answer"),
    )


def public_view(db: Session, report: Report, category: Category, locale: str) -> PublicReport:
    names = _names(db, report)
    merged_into = (
        db.scalar(select(Report.code).where(Report.id == report.duplicate_of_id))
        if report.duplicate_of_id
        else None
    )
    description = report.public_description or report.description
    return PublicReport(
        code=report.code,
        category=category.code,
        category_name=category.name_en if locale == "en" else category.name_vi,
        title=report.title,
        description="" if report.hidden else description,
        latitude=report.latitude,
        longitude=report.longitude,
        address=report.address,
        unit=names["unit"],
        unit_name=names["unit_name"],
        agency_name=names["agency_name"],
        status=report.status,
        status_text=status_text(report.status, locale),
        submitted_at=report.submitted_at,
        updated_at=_updated_at(db, report),
        reporters=report.reporters,
        media=[] if report.hidden else _media(db, report, staff=False),
        updates=_events(db, report, locale, staff=False),
        answer=_answer(db, report, staff=False),
        merged_into=merged_into,
        satisfaction=report.satisfaction,
    )


def staff_view(db: Session, report: Report, category: Category, locale: str) -> ReportOut:
    public = public_view(db, report, category, locale)
    names = _names(db, report)
    duplicate_of = (
        db.scalar(select(Report.code).where(Report.id == report.duplicate_of_id))
        if report.duplicate_of_id
        else None
    )
    return ReportOut(
        **public.model_dump(exclude={"description", "media", "updates", "answer"}),
        description=report.description,
        media=_media(db, report, staff=True),
        updates=_events(db, report, locale, staff=True),
        answer=_answer(db, report, staff=True),
        id=report.id,
        channel=report.channel,
        urgency=report.urgency,
        agency=names["agency"],
        reporter=Reporter(
            name=report.reporter_name, phone=report.reporter_phone, email=report.reporter_email
        ),
        recorded_by=report.recorded_by,
        accept_due=report.accept_due,
        resolve_due=report.resolve_due,
        due_at=report.due_at,
        overdue=report.overdue,
        located_by=report.located_by,
        duplicate_of=duplicate_of,
        attributes=report.attributes,
        hidden=report.hidden,
    )
