"""The deadline sweep: reminders before a report's running deadline and escalation when it
has passed, both sent through the event bus (after commit) for the notification adapters.

Each clock start stores when its reminder falls (``remind_at``) and when it is due
(``due_at``), so the sweep reads two index ranges — reports whose reminder time has come and
that were not reminded, reports past due that were not escalated — instead of looking at
every open report: over a million open reports it costs what the few due ones cost. Work is
taken in batches; a batch is flagged, its events written and its messages deferred in the
caller's transaction, so a crash half-way sends nothing twice and loses nothing.

Escalation goes to the supervising level: the People's Committee of the province the
responsible agency belongs to (for a commune's agency as for a provincial department),
the level that assigns and follows handling in the provinces' regulations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from dieuhanh.core.events import defer
from dieuhanh.domains.feedback.models import Report, ReportEvent
from dieuhanh.domains.units import service as units

REMINDER = "feedback.deadline_reminder"
OVERDUE = "feedback.overdue"
BATCH = 2000


@dataclass
class SweepResult:
    reminded: list[str] = field(default_factory=list)
    escalated: list[str] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return bool(self.reminded or self.escalated)


def _supervisor(db: Session, agency_id: int | None, cache: dict[int, str | None]) -> str | None:
    """The code of the People's Committee above the agency (see the module notes)."""
    if agency_id is None:
        return None
    if agency_id not in cache:
        chain = units.ancestors(db=db, unit_id=agency_id)
        province = next((u for u in chain if u.level == "province"), None)
        found = None
        if province is not None:
            agencies, _total = units.children(db=db, unit_id=province.id, level="agency")
            found = next((a.code for a in agencies if a.agency_kind == "people_committee"), None)
        cache[agency_id] = found
    return cache[agency_id]


def _events(db: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        db.execute(insert(ReportEvent), rows)


def sweep(db: Session, now: datetime, *, batch: int = BATCH) -> SweepResult:
    """Remind and escalate what is due at ``now``; returns the codes handled."""
    result = SweepResult()
    supervisors: dict[int, str | None] = {}
    while True:
        due = db.execute(
            select(
                Report.id, Report.code, Report.agency_id, Report.clock, Report.due_at, Report.status
            )
            .where(Report.reminded.is_(False), Report.remind_at <= now, Report.clock != "")
            .order_by(Report.remind_at)
            .limit(batch)
        ).all()
        if not due:
            break
        ids = [r.id for r in due]
        db.execute(update(Report).where(Report.id.in_(ids)).values(reminded=True))
        _events(
            db,
            [
                {
                    "report_id": r.id,
                    "at": now,
                    "kind": "reminded",
                    "status": r.status,
                    "actor": "system",
                    "public": False,
                    "message": "",
                    "detail": {"clock": r.clock, "due_at": r.due_at.isoformat()},
                }
                for r in due
            ],
        )
        for r in due:
            defer(db, REMINDER, {"code": r.code, "clock": r.clock, "due_at": r.due_at.isoformat()})
            result.reminded.append(r.code)
    while True:
        late = db.execute(
            select(
                Report.id,
                Report.code,
                Report.agency_id,
                Report.clock,
                Report.due_at,
                Report.status,
                Report.escalation_level,
            )
            .where(Report.overdue.is_(False), Report.due_at < now)
            .order_by(Report.due_at)
            .limit(batch)
        ).all()
        if not late:
            break
        ids = [e.id for e in late]
        db.execute(
            update(Report)
            .where(Report.id.in_(ids))
            .values(overdue=True, reminded=True, escalation_level=Report.escalation_level + 1)
        )
        rows = []
        for e in late:
            target = _supervisor(db, e.agency_id, supervisors)
            detail = {"clock": e.clock, "due_at": e.due_at.isoformat(), "escalated_to": target}
            rows.append(
                {
                    "report_id": e.id,
                    "at": now,
                    "kind": "escalated",
                    "status": e.status,
                    "actor": "system",
                    "public": False,
                    "message": "",
                    "detail": detail,
                }
            )
            defer(db, OVERDUE, {"code": e.code, "level": e.escalation_level + 1, **detail})
            result.escalated.append(e.code)
        _events(db, rows)
    return result
