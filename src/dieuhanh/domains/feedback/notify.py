"""Telling reporters what happened to their report: each public step (received, accepted,
paused, transferred, answered, reopened, closed, rejected, merged…) becomes an SMS to the
phone and an e-mail to the address they gave. In the app the follow page already shows
every step; these reach people who closed it.

An outbox: a run first writes one ``feedback_notifications`` row per (step, reporter,
channel) that has none — the unique key makes two runs at once harmless — and commits;
then sends the pending rows one by one outside any transaction, recording each result.
A failed send is retried on the next runs and given up after ``MAX_ATTEMPTS`` (``dead``,
kept for the operators to see). The steps of a report that others were merged into are sent
to those reporters too, so every one of them hears the single answer.

The channels are given by the caller (the web layer wires the SMTP relay and the SMS
gateway from ``integrations``); a channel that is not configured is simply not used.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from dieuhanh.core.db import utcnow
from dieuhanh.core.i18n import N_, gettext
from dieuhanh.domains.feedback.answers import follow_key
from dieuhanh.domains.feedback.models import Notification, Report, ReportEvent
from dieuhanh.domains.feedback.views import EVENT_TEXT

MAX_ATTEMPTS = 3
WINDOW = timedelta(days=7)  # older steps are not announced any more
BATCH = 500
# steps worth a message; the others (reminders, notes) stay on the follow page
ANNOUNCED = (
    "submitted",
    "accepted",
    "paused",
    "resumed",
    "transferred",
    "extended",
    "answered",
    "reopened",
    "closed",
    "rejected",
    "merged",
)
# steps of a report that are also sent to the reporters merged into it
SHARED = ("answered", "closed", "rejected", "reopened")
SUBJECT = N_("Your report %(code)s: %(step)s")
BODY = N_("%(step)s. Follow your report: %(url)s")

Send = Callable[[str, str, str], None]  # (recipient, subject, text); raises on failure


@dataclass(frozen=True)
class Outbox:
    """How to reach people: channels by name (``sms``, ``email``), the public address of
    the follow page and the secret that signs its key."""

    channels: Mapping[str, Send]
    public_url: str
    secret: str
    locale: str = "vi"


@dataclass
class DeliveryReport:
    queued: int = 0
    sent: int = 0
    failed: int = 0
    dead: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return bool(self.queued or self.sent or self.failed)


def _recipients(report: Report, channels: Mapping[str, Send]) -> list[tuple[str, str]]:
    out = []
    if "sms" in channels and report.reporter_phone.strip():
        out.append(("sms", report.reporter_phone.strip()))
    if "email" in channels and "@" in report.reporter_email:
        out.append(("email", report.reporter_email.strip()))
    return out


def _text(outbox: Outbox, event: ReportEvent, report: Report) -> tuple[str, str]:
    step = gettext(EVENT_TEXT.get(event.kind, N_("Note")), outbox.locale)
    url = f"{outbox.public_url.rstrip('/')}/phan-anh/{report.code}"
    url += f"?key={follow_key(outbox.secret, report.code)}"
    subject = gettext(SUBJECT, outbox.locale) % {"code": report.code, "step": step}
    body = gettext(BODY, outbox.locale) % {"step": f"[{report.code}] {step}", "url": url}
    return subject, body


def queue(db: Session, outbox: Outbox, now: datetime) -> int:
    """Outbox rows for the announced steps since ``now - WINDOW`` that have none yet."""
    sent_for = select(Notification.id).where(Notification.event_id == ReportEvent.id)
    events = db.execute(
        select(ReportEvent, Report)
        .join(Report, Report.id == ReportEvent.report_id)
        .where(
            ReportEvent.public.is_(True),
            ReportEvent.at >= now - WINDOW,
            ReportEvent.kind.in_(ANNOUNCED),
            ~sent_for.exists(),
        )
        .order_by(ReportEvent.id)
        .limit(BATCH)
    ).all()
    count = 0
    for event, report in events:
        before = count
        audience = [report]
        if event.kind in SHARED:
            audience += list(db.scalars(select(Report).where(Report.duplicate_of_id == report.id)))
        for person in audience:
            subject, body = _text(outbox, event, person)
            for channel, recipient in _recipients(person, outbox.channels):
                text = body if channel == "sms" else f"{subject}\n\n{body}"
                db.add(
                    Notification(
                        event_id=event.id,
                        report_id=person.id,
                        channel=channel,
                        recipient=recipient,
                        text=text,
                        status="pending",
                        attempts=0,
                        created_at=now,
                    )
                )
                count += 1
        if count == before:
            # nobody to tell: a marker row so the step is not looked at again
            db.add(
                Notification(
                    event_id=event.id,
                    report_id=report.id,
                    channel="none",
                    recipient="",
                    text="",
                    status="sent",
                    attempts=0,
                    created_at=now,
                    sent_at=now,
                )
            )
    db.flush()
    return count


def deliver(
    factory: sessionmaker[Session], outbox: Outbox, now: datetime | None = None
) -> DeliveryReport:
    """Queue the new steps, then send what is pending (see the module notes)."""
    moment = now or utcnow()
    report = DeliveryReport()
    try:
        with factory.begin() as db:
            report.queued = queue(db, outbox, moment)
    except IntegrityError:
        pass  # another run queued the same steps at the same time: theirs stand
    with factory() as db:
        pending = db.execute(
            select(Notification.id, Notification.channel, Notification.recipient, Notification.text)
            .where(and_(Notification.status == "pending", Notification.attempts < MAX_ATTEMPTS))
            .order_by(Notification.id)
            .limit(BATCH)
        ).all()
    for row in pending:
        send = outbox.channels.get(row.channel)
        error = ""
        if send is None:
            error = f"channel {row.channel} is not configured"
        else:
            subject, body = ("", row.text)
            if row.channel == "email":
                subject, _sep, body = row.text.partition("\n\n")
            try:
                send(row.recipient, subject, body)
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"[:500]
        with factory.begin() as db:
            item = db.get(Notification, row.id)
            assert item is not None  # rows are never deleted
            item.attempts += 1
            if error:
                item.last_error = error
                item.status = "dead" if item.attempts >= MAX_ATTEMPTS else "pending"
                report.failed += 1
                report.dead += item.status == "dead"
                report.errors.append(error)
            else:
                item.status, item.sent_at = "sent", utcnow()
                report.sent += 1
    return report
