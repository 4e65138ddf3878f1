"""What staff do with a report between intake and answer: accept, pause and resume, ask for
and grant more time, transfer to another agency, change its category, reject it.

Rules chosen where the regulations leave room (documented in docs/feedback.md):

* **Transfer** gives the report to the receiving agency as a new one: status ``new`` and a
  fresh accept clock, because the receiving agency has not seen it yet; the reason is kept
  and shown publicly ("chuyển cơ quan khác xử lý").
* **Category change** before acceptance re-routes the report (the new category may belong
  to another agency) and keeps its accept deadline; after acceptance the agency stays.
* **Extension**: the handling agency asks (hours of working time and a reason, within the
  category's ``extension_max_hours``); an operator, leader or administrator grants or
  refuses it. Only a granted extension moves the deadline.
* **Rejection** needs a reason from the templates below, so a citizen never gets a bare
  "từ chối".

Each step is an event in the report's history (public or staff-only) and a
``feedback.report_changed`` message on the event bus after commit.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from dieuhanh.core.db import utcnow
from dieuhanh.core.errors import ProblemError
from dieuhanh.core.events import defer
from dieuhanh.core.i18n import N_
from dieuhanh.core.security import Actor, Role, allowed
from dieuhanh.core.workdays import WorkCalendar
from dieuhanh.domains.feedback import clocks, moderation, routing
from dieuhanh.domains.feedback.categories import category_row
from dieuhanh.domains.feedback.models import Category, Report, ReportEvent
from dieuhanh.domains.units import service as units

HANDLE, APPROVE = "feedback.handle", "feedback.approve"
CHANGED = "feedback.report_changed"

REJECT_REASONS = {
    "not_competent": N_("Not within the competence of state agencies (e.g. a civil dispute)"),
    "insufficient": N_("Not enough information to identify the place or the problem"),
    "not_true": N_("Checked on site: the problem reported does not exist"),
    "already_handled": N_("Already handled under an earlier report"),
    "abusive": N_("Offensive or abusive content"),
}


@dataclass(frozen=True)
class Handling:
    db: Session
    actor: Actor
    calendar: WorkCalendar


def scoped_report(h: Handling, code: str, action: str = HANDLE) -> tuple[Report, Category]:
    """The report if the actor may act on it (``report_not_found`` otherwise)."""
    if not allowed(h.actor, action):
        raise ProblemError("forbidden" if h.actor.is_authenticated else "not_authenticated")
    statement = (
        select(Report, Category)
        .join(Category, Category.id == Report.category_id)
        .where(Report.code == code.strip().upper())
    )
    if h.actor.role is Role.AGENCY:
        statement = statement.where(Report.agency_id == (h.actor.agency_unit_id or -1))
    elif h.actor.scope_unit_id is not None:
        scope = units.subtree_ids_select(h.actor.scope_unit_id)
        statement = statement.where(Report.unit_id.in_(scope))
    row = h.db.execute(statement).first()
    if row is None:
        raise ProblemError("report_not_found", detail=code)
    return row[0], row[1]


def record(
    h: Handling,
    report: Report,
    kind: str,
    *,
    public: bool,
    message: str = "",
    detail: dict[str, object] | None = None,
) -> None:
    h.db.add(
        ReportEvent(
            report_id=report.id,
            at=utcnow(),
            kind=kind,
            status=report.status,
            actor=h.actor.label,
            public=public,
            message=message,
            detail=detail or {},
        )
    )
    report.version += 1
    h.db.flush()
    defer(h.db, CHANGED, {"code": report.code, "kind": kind, "status": report.status})


def _expect(report: Report, *statuses: str) -> None:
    if report.status not in statuses:
        raise ProblemError(
            "invalid_transition",
            detail=f"{report.code} is {report.status}, not {'/'.join(statuses)}",
        )


def _reason(text: str) -> str:
    cleaned = text.strip()
    if len(cleaned) < 5:
        raise ProblemError(
            "validation_error",
            errors=[{"location": ["body", "reason"], "message": "give a reason (5+ characters)"}],
        )
    return cleaned


def accept(h: Handling, code: str) -> Report:
    report, category = scoped_report(h, code)
    _expect(report, "new")
    now = utcnow()
    report.status, report.accepted_at = "accepted", now
    clocks.start_resolve_clock(report, category, h.calendar, now)
    record(h, report, "accepted", public=True)
    return report


def pause(h: Handling, code: str, reason: str) -> Report:
    report, _category = scoped_report(h, code)
    _expect(report, "accepted")
    report.status = "paused"
    clocks.pause(report, utcnow())
    record(h, report, "paused", public=True, message=_reason(reason))
    return report


def resume(h: Handling, code: str) -> Report:
    report, category = scoped_report(h, code)
    _expect(report, "paused")
    report.status = "accepted"
    left = clocks.resume(report, category, h.calendar, utcnow())
    record(h, report, "resumed", public=True, detail={"hours_left": left.total_seconds() / 3600})
    return report


def request_extension(h: Handling, code: str, hours: float, reason: str) -> Report:
    report, category = scoped_report(h, code)
    _expect(report, "new", "accepted")
    limit = clocks.deadlines_of(category).extension_max_hours
    if not 0 < hours <= limit:
        raise ProblemError(
            "validation_error",
            errors=[{"location": ["body", "hours"], "message": f"between 0 and {limit:g} hours"}],
        )
    record(
        h,
        report,
        "extension_requested",
        public=False,
        message=_reason(reason),
        detail={"hours": hours, "clock": report.clock},
    )
    return report


def _pending_extension(h: Handling, report: Report) -> ReportEvent | None:
    last = h.db.scalar(
        select(ReportEvent)
        .where(
            ReportEvent.report_id == report.id,
            ReportEvent.kind.in_(("extension_requested", "extended", "extension_refused")),
        )
        .order_by(ReportEvent.id.desc())
        .limit(1)
    )
    return last if last is not None and last.kind == "extension_requested" else None


def decide_extension(h: Handling, code: str, *, grant: bool, note: str = "") -> Report:
    """Grant or refuse the pending request (``feedback.approve``)."""
    report, category = scoped_report(h, code, APPROVE)
    pending = _pending_extension(h, report)
    if pending is None:
        raise ProblemError("invalid_transition", detail=f"{report.code}: no extension asked")
    if grant:
        hours = float(str(pending.detail.get("hours", 0)))
        clocks.extend(report, category, h.calendar, hours)
        record(h, report, "extended", public=True, message=note.strip(), detail={"hours": hours})
    else:
        record(h, report, "extension_refused", public=False, message=note.strip())
    return report


def transfer(h: Handling, code: str, agency_code: str, reason: str) -> Report:
    report, category = scoped_report(h, code)
    _expect(report, "new", "accepted", "paused")
    agency = units.get_unit(db=h.db, code=agency_code, hierarchy=units.CURRENT)
    if agency.level != "agency":
        raise ProblemError("validation_error", detail=f"{agency_code} is not an agency")
    if agency.id == report.agency_id:
        raise ProblemError("invalid_transition", detail="the report is already with that agency")
    why = _reason(reason)
    report.agency_id = agency.id
    report.status, report.accepted_at, report.resolve_due, report.paused_at = (
        "new",
        None,
        None,
        None,
    )
    clocks.start_accept_clock(report, category, h.calendar, utcnow())
    record(h, report, "transferred", public=True, message=why, detail={"agency": agency.code})
    return report


def recategorise(h: Handling, code: str, category_code: str, reason: str) -> Report:
    report, _old = scoped_report(h, code)
    _expect(report, "new", "accepted", "paused")
    new = category_row(h.db, category_code)
    if new.id == report.category_id:
        raise ProblemError("invalid_transition", detail="the report already has that category")
    why = _reason(reason)
    report.category_id = new.id
    if report.status == "new" and report.unit_id is not None:
        unit = units.get_unit_by_id(db=h.db, unit_id=report.unit_id)
        agency = routing.agency_for(h.db, new, unit)
        report.agency_id = agency.id if agency else report.agency_id
    record(h, report, "recategorised", public=True, message=why, detail={"category": new.code})
    return report


def reject(h: Handling, code: str, reason_code: str, note: str = "") -> Report:
    report, _category = scoped_report(h, code)
    _expect(report, "new", "accepted", "paused")
    if reason_code not in REJECT_REASONS:
        raise ProblemError(
            "validation_error",
            errors=[
                {
                    "location": ["body", "reason"],
                    "message": f"one of {', '.join(sorted(REJECT_REASONS))}",
                }
            ],
        )
    report.status, report.closed_at = "rejected", utcnow()
    clocks.stop(report)
    record(
        h,
        report,
        "rejected",
        public=True,
        message=note.strip(),
        detail={"reason": reason_code},
    )
    return report


MODERATE = "feedback.moderate"


def moderate(
    h: Handling, code: str, *, hidden: bool, public_text: str | None, reason: str
) -> Report:
    """Hide a report from the public side, or rewrite its public text (the original stays in
    the staff view); an operator's decision, with a reason, in the staff history."""
    report, _category = scoped_report(h, code, MODERATE)
    why = _reason(reason)
    report.hidden = hidden
    if public_text is not None:
        report.public_description = moderation.clean(public_text).text
    record(
        h,
        report,
        "moderated",
        public=False,
        message=why,
        detail={"hidden": hidden, "rewritten": public_text is not None},
    )
    return report
