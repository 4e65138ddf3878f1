"""The public updates of reports over a time window, for Open311's ``servicerequestupdates``
extension (the one FixMyStreet and its Open311 adapters poll to learn what happened).

Service side (it reads the models; ``service`` re-exports it). Only events marked public are
listed — the same ones a citizen sees on the follow page, with the same wording — so staff
notes and who did what never leave the staff side. An answer's public photos go with the
answer event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dieuhanh.core.i18n import N_, gettext
from dieuhanh.domains.feedback.models import Attachment, Report, ReportEvent
from dieuhanh.domains.feedback.views import EVENT_TEXT

MAX_UPDATES = 1000


@dataclass(frozen=True)
class PublicUpdate:
    """One public event of a report."""

    id: int
    report_code: str
    at: datetime
    kind: str
    status: str  # the report's status after the event
    message: str  # in the reader's language
    media: tuple[str, ...]  # site-relative URLs of the public photos that came with it


def list_public_updates(
    *,
    db: Session,
    start: datetime,
    end: datetime,
    limit: int = MAX_UPDATES,
    locale: str = "vi",
) -> list[PublicUpdate]:
    """Public events with ``start <= at <= end``, oldest first, at most ``limit``."""
    rows = db.execute(
        select(ReportEvent, Report.code, Report.hidden)
        .join(Report, Report.id == ReportEvent.report_id)
        .where(ReportEvent.public.is_(True), ReportEvent.at >= start, ReportEvent.at <= end)
        .order_by(ReportEvent.at, ReportEvent.id)
        .limit(max(1, min(limit, MAX_UPDATES)))
    ).all()
    # a report hidden by moderation shows no media (as on its public page)
    answered = {event.report_id for event, _code, _hidden in rows if event.kind == "answered"}
    answered -= {event.report_id for event, _code, hidden in rows if hidden}
    media: dict[int, list[str]] = {}
    if answered:
        attachments = db.scalars(
            select(Attachment)
            .where(
                Attachment.report_id.in_(answered),
                Attachment.role == "answer",
                Attachment.public_path != "",
            )
            .order_by(Attachment.id)
        )
        for attachment in attachments:
            media.setdefault(attachment.report_id, []).append(f"/feedback/media/{attachment.id}")
    out = []
    for event, code, _hidden in rows:
        text = gettext(EVENT_TEXT.get(event.kind, N_("Note")), locale)
        if event.message:
            text = f"{text}: {event.message}"
        out.append(
            PublicUpdate(
                id=event.id,
                report_code=code,
                at=event.at,
                kind=event.kind,
                status=event.status,
                message=text,
                media=tuple(media.get(event.report_id, ())) if event.kind == "answered" else (),
            )
        )
    return out
