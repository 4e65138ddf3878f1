"""Reports at every stage of their life, for the demo province: a report submitted in the
past is moved along as if its agency had acted then (accepted within its accept deadline or
late, answered with the parts its category asks for, closed with a rating), so the demo's
pages, counters and figures look like a working month. Only ``dieuhanh demo`` calls this;
real reports move through :mod:`.handling` and :mod:`.answers`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from dieuhanh.core.security import Actor
from dieuhanh.core.workdays import WorkCalendar
from dieuhanh.domains.feedback import clocks
from dieuhanh.domains.feedback.intake import IntakePolicy, submit
from dieuhanh.domains.feedback.models import ReportEvent
from dieuhanh.domains.feedback.schemas import ReportIn

ANSWER = {
    "action_taken": "Đã cử cán bộ kiểm tra thực tế, yêu cầu khắc phục và giám sát kết quả.",
    "done_on": "",
    "legal_basis": "Nghị định 123/2021/NĐ-CP và quy định của UBND thành phố.",
    "reason": "Sự việc thuộc thẩm quyền, đã được xử lý theo quy định.",
}


def _event(db: Session, report_id: int, at: datetime, kind: str, status: str) -> None:
    db.add(
        ReportEvent(
            report_id=report_id,
            at=at,
            kind=kind,
            status=status,
            actor="demo",
            public=True,
            message="",
            detail={},
        )
    )


def submit_and_age(
    *,
    db: Session,
    actor: Actor,
    data: ReportIn,
    channel: str,
    policy: IntakePolicy,
    idempotency_key: str,
    now: datetime,
    progress: float,
    calendar: WorkCalendar,
) -> bool:
    """Submit at ``now`` (in the past) and move the report along by ``progress`` (0–1) of
    its life; False when the key was used before (nothing changes)."""
    report, category, replayed = submit(
        db=db,
        actor=actor,
        data=data,
        channel=channel,
        policy=policy,
        idempotency_key=idempotency_key,
        now=now,
    )
    if replayed or progress < 0.15:
        return not replayed
    late = progress > 0.9  # one in ten of the older ones: accepted after the deadline
    accepted = report.accept_due + timedelta(hours=6) if late else now + timedelta(hours=2)
    report.status, report.accepted_at = "accepted", accepted
    clocks.start_resolve_clock(report, category, calendar, accepted)
    _event(db, report.id, accepted, "accepted", "accepted")
    if progress < 0.45 or report.resolve_due is None:
        return True
    answered = (
        report.resolve_due + timedelta(days=1)
        if late
        else accepted + (report.resolve_due - accepted) / 2
    )
    parts = {p: ANSWER[p] or answered.date().isoformat() for p in category.answer_parts}
    text = "Cơ quan chức năng đã xử lý xong sự việc theo phản ánh của người dân."
    report.answer = {"parts": parts, "text": text, "by": "demo"}
    report.status, report.answered_at = "answered", answered
    clocks.stop(report)
    _event(db, report.id, answered, "answered", "answered")
    if progress < 0.7:
        return True
    closed = answered + timedelta(days=2)
    report.status, report.closed_at, report.verdict = "closed", closed, "resolved"
    report.satisfaction = 5 if progress < 0.85 else 3
    _event(db, report.id, closed, "closed", "closed")
    db.flush()
    return True
