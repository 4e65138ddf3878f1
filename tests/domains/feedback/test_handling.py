"""Handling a report (service level, SQLite and PostgreSQL): accept, pause and resume with
the working time kept, extension asked and granted, transfer, category change, rejection
with a reason template, and the deadline sweep's reminders and escalations over a weekend
and Tết — each step in the report's history and on the event bus after commit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dieuhanh.core.errors import ProblemError
from dieuhanh.core.events import EventBus, install_bus
from dieuhanh.core.settings import Settings
from dieuhanh.domains.feedback import handling, intake, service
from dieuhanh.domains.feedback.models import Report, ReportEvent
from tests.domains.feedback.test_intake import CITIZEN, policy, report, staff

CAL = Settings().work_calendar()


def handler(session: Session, username: str = "operator48") -> handling.Handling:
    return handling.Handling(session, staff(username, session), CAL)


def submitted(session: Session, when: datetime | None = None, **overrides: Any) -> Report:
    row, _c, _r = intake.submit(
        db=session,
        actor=CITIZEN,
        data=report(**overrides),
        channel="app",
        policy=policy(),
        now=when,
    )
    return row


def kinds(session: Session, row: Report) -> list[str]:
    found = session.scalars(
        select(ReportEvent.kind).where(ReportEvent.report_id == row.id).order_by(ReportEvent.id)
    )
    return list(found)


def test_pause_keeps_the_working_time_left(session: Session) -> None:
    row = submitted(session)
    h = handler(session)
    handling.accept(h, row.code)
    due_before = row.resolve_due
    assert due_before is not None
    handling.pause(h, row.code, "Chờ kết quả kiểm tra của đội quy tắc")
    assert (row.status, row.clock, row.due_at) == ("paused", "", None)
    # pretend the pause began two working days before the deadline
    row.paused_at = CAL.add_working_hours(due_before, -15)
    handling.resume(h, row.code)
    assert row.status == "accepted"
    assert row.resolve_due is not None
    left = CAL.working_time_between(datetime.now(UTC), row.resolve_due)
    assert abs(left - timedelta(hours=15)) < timedelta(minutes=1)
    assert kinds(session, row) == ["submitted", "accepted", "paused", "resumed"]
    with pytest.raises(ProblemError) as caught:
        handling.pause(h, row.code, "ngắn")  # a reason of 5+ characters is required... "ngắn" is 4
    assert caught.value.code == "validation_error"


def test_an_extension_counts_only_once_granted(session: Session) -> None:
    row = submitted(session)
    agency = handling.Handling(session, staff("operator48", session), CAL)
    handling.accept(agency, row.code)
    due = row.resolve_due
    assert due is not None
    with pytest.raises(ProblemError) as too_much:
        handling.request_extension(agency, row.code, 400, "Cần phối hợp liên ngành")
    assert too_much.value.code == "validation_error"
    handling.request_extension(agency, row.code, 16, "Cần phối hợp liên ngành")
    assert row.resolve_due == due
    with pytest.raises(ProblemError) as agency_cannot:
        handling.decide_extension(handler(session, "agency48"), row.code, grant=True)
    assert agency_cannot.value.code == "forbidden"
    handling.decide_extension(agency, row.code, grant=True, note="Đồng ý gia hạn")
    assert row.resolve_due == CAL.add_working_hours(due, 16)
    with pytest.raises(ProblemError) as nothing_pending:
        handling.decide_extension(agency, row.code, grant=True)
    assert nothing_pending.value.code == "invalid_transition"
    public = service.track_report(db=session, code=row.code)
    assert [u.kind for u in public.updates] == ["submitted", "accepted", "extended"]


def test_transfer_restarts_the_accept_clock_with_the_new_agency(session: Session) -> None:
    row = submitted(session)
    h = handler(session)
    handling.accept(h, row.code)
    with pytest.raises(ProblemError) as not_agency:
        handling.transfer(h, row.code, "20194", "Không thuộc thẩm quyền")
    assert not_agency.value.code == "validation_error"
    handling.transfer(h, row.code, "48.SXD", "Công trình do Sở Xây dựng cấp phép")
    assert row.status == "new"
    assert row.clock == "accept"
    assert row.resolve_due is None
    staff_view = service.get_report(db=session, actor=staff("operator48", session), code=row.code)
    assert staff_view.agency == "48.SXD"
    updates = service.track_report(db=session, code=row.code).updates
    assert updates[-1].message.endswith("Công trình do Sở Xây dựng cấp phép")


def test_category_change_reroutes_before_acceptance(session: Session) -> None:
    row = submitted(session)
    h = handler(session)
    handling.recategorise(h, row.code, "an-toan-thuc-pham", "Thực chất là phản ánh về quán ăn")
    view = service.get_report(db=session, actor=staff("operator48", session), code=row.code)
    assert (view.category, view.agency) == ("an-toan-thuc-pham", "48.SYT")


def test_rejection_needs_a_reason_template(session: Session) -> None:
    row = submitted(session)
    h = handler(session)
    with pytest.raises(ProblemError) as bad:
        handling.reject(h, row.code, "because")
    assert bad.value.code == "validation_error"
    handling.reject(h, row.code, "not_competent", "Đề nghị khởi kiện tại Tòa án nhân dân")
    assert (row.status, row.clock) == ("rejected", "")
    last = service.track_report(db=session, code=row.code).updates[-1]
    assert "tranh chấp dân sự" in last.message
    assert last.message.endswith("Đề nghị khởi kiện tại Tòa án nhân dân")
    with pytest.raises(ProblemError) as closed:
        handling.accept(h, row.code)
    assert closed.value.code == "invalid_transition"


def test_an_agency_cannot_act_on_another_agencys_report(session: Session) -> None:
    row = submitted(session)  # urban order: the commune's People's Committee
    with pytest.raises(ProblemError) as caught:
        handling.accept(handler(session, "agency48"), row.code)
    assert caught.value.code == "report_not_found"


def test_the_sweep_reminds_then_escalates_over_a_weekend(session: Session) -> None:
    friday = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)  # 16:00 in Vietnam
    row = submitted(session, when=friday)
    assert row.accept_due == datetime(2026, 11, 23, 9, 30, tzinfo=UTC)  # Monday 16:30
    # the reminder falls 4 working hours before: 3 h back to 13:30, 1 h back from 11:30,
    # so Monday 10:30 in Vietnam
    assert row.remind_at == datetime(2026, 11, 23, 3, 30, tzinfo=UTC)
    saturday = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)
    assert not service.sweep_deadlines(db=session, now=saturday).found
    monday_noon = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)
    first = service.sweep_deadlines(db=session, now=monday_noon)
    assert (first.reminded, first.escalated) == ([row.code], [])
    assert not service.sweep_deadlines(db=session, now=monday_noon).found  # once only
    tuesday = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
    late = service.sweep_deadlines(db=session, now=tuesday)
    assert late.escalated == [row.code]
    session.refresh(row)
    assert row.overdue
    assert row.escalation_level == 1
    escalation = session.scalar(
        select(ReportEvent).where(ReportEvent.report_id == row.id, ReportEvent.kind == "escalated")
    )
    assert escalation is not None
    assert escalation.detail["escalated_to"] == "48.UBND"
    assert not service.sweep_deadlines(db=session, now=tuesday).found
    assert (
        service.list_reports(
            db=session,
            actor=staff("operator48", session),
            filters=service.ReportFilter(overdue=True),
        ).total
        == 1
    )


def test_a_report_filed_before_tet_is_due_after_it(session: Session) -> None:
    before_tet = datetime(2027, 2, 4, 9, 0, tzinfo=UTC)  # Thursday 16:00, Tết holiday next
    row = submitted(session, when=before_tet)
    during_tet = datetime(2027, 2, 8, 3, 0, tzinfo=UTC)
    assert not service.sweep_deadlines(db=session, now=during_tet).escalated
    assert row.accept_due > during_tet
    after = row.accept_due + timedelta(minutes=1)
    assert service.sweep_deadlines(db=session, now=after).escalated == [row.code]


def test_sweep_messages_reach_the_bus_after_commit(database: Any) -> None:
    bus = EventBus()
    seen: list[tuple[str, dict[str, Any]]] = []
    bus.subscribe("feedback.*", lambda event: seen.append((event.topic, event.payload)))
    install_bus(database.session_factories, bus)
    friday = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    with database.transaction() as db:
        row = submitted(db, when=friday)
        code = row.code
        assert [t for t, _p in seen] == []  # nothing before commit
    assert [t for t, _p in seen] == ["feedback.report_submitted"]
    with database.transaction() as db:
        service.sweep_deadlines(db=db, now=datetime(2026, 11, 25, 2, 0, tzinfo=UTC))
    topics = [t for t, _p in seen]
    assert topics[1:] == ["feedback.deadline_reminder", "feedback.overdue"]
    assert seen[-1][1]["code"] == code
    assert seen[-1][1]["escalated_to"] == "48.UBND"
