"""Taking in citizen reports (service level, SQLite and PostgreSQL): the categories a pack
ships, placing a report by its point and address, routing it to the right agency, the accept
clock in working hours, idempotent retries, the checks on identity, questions and location,
and who sees what."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dieuhanh.core.errors import ProblemError
from dieuhanh.core.security import Actor, Role
from dieuhanh.core.settings import Settings
from dieuhanh.domains.feedback import intake, service
from dieuhanh.domains.feedback.models import Report, ReportEvent
from dieuhanh.domains.feedback.schemas import OperatorReportIn, ReportIn
from dieuhanh.domains.units import service as units

CITIZEN = Actor(kind="anonymous")
HAI_VAN_POINT = (16.054, 108.202)  # inside Đà Nẵng (48); commune outlines are not loaded
PARIS = (48.8566, 2.3522)


def policy(**overrides: Any) -> service.IntakePolicy:
    values: dict[str, Any] = {
        "home_province": "48",
        "calendar": Settings().work_calendar(),
        "require_identity": True,
    }
    return service.IntakePolicy(**(values | overrides))


def report(**overrides: Any) -> ReportIn:
    data: dict[str, Any] = {
        "category": "trat-tu-do-thi",
        "description": "Quán nhậu lấn chiếm hết vỉa hè, người đi bộ phải xuống lòng đường.",
        "attributes": {"kind": "sidewalk"},
        "latitude": HAI_VAN_POINT[0],
        "longitude": HAI_VAN_POINT[1],
        "address": "12 Nguyễn Văn Cừ, P. Hải Vân, Đà Nẵng",
        "reporter": {"name": "Lê Thị Hoa", "phone": "0905 123 456"},
    }
    return ReportIn.model_validate(data | overrides)


STAFF = {  # username → (role, scope unit, agency), as tests/fixtures/auth.py creates them
    "operator48": (Role.OPERATOR, "48", None),
    "agency48": (Role.AGENCY, "48", "48.SYT"),
    "citizen": (Role.CITIZEN, "48", None),
    "operator01": (Role.OPERATOR, "01", None),
}


def staff(username: str, session: Session) -> Actor:
    role, scope, agency = STAFF[username]

    def unit_id(code: str | None) -> int | None:
        return units.get_unit(db=session, code=code, hierarchy="2025").id if code else None

    return Actor(
        kind="user",
        id=1,
        name=username,
        role=role,
        scope_unit_id=unit_id(scope),
        agency_unit_id=unit_id(agency),
    )


def test_the_pack_ships_the_pilot_categories_first(session: Session) -> None:
    found = service.list_categories(db=session)
    codes = [c.code for c in found]
    assert codes[:3] == ["trat-tu-do-thi", "moi-truong-ve-sinh", "an-toan-thuc-pham"]
    assert {"giao-thong", "ha-tang", "y-te", "giao-duc", "an-ninh-trat-tu"} <= set(codes)
    assert "thu-tuc-hanh-chinh" in codes
    food = service.get_category(db=session, code="an-toan-thuc-pham", locale="en")
    assert food.name == "Food safety"
    assert food.agency_kind == "health"
    assert [a.code for a in food.attributes] == ["business", "poisoning"]
    assert food.deadlines.accept.normal == 8
    assert food.deadlines.resolve.urgent == 4


def test_a_report_is_placed_by_point_then_address_and_routed(session: Session) -> None:
    done = service.submit_report(db=session, actor=CITIZEN, data=report(), policy=policy())
    assert done.code.startswith("PA-")
    row = session.scalar(select(Report).where(Report.code == done.code))
    assert row is not None
    assert units.get_unit_by_id(db=session, unit_id=row.unit_id or 0).code == "20194"
    assert row.located_by == "address"
    # urban order is handled by the commune's People's Committee
    assert units.get_unit_by_id(db=session, unit_id=row.agency_id or 0).code == "20194.UBND"
    assert done.agency_name == "Ủy ban nhân dân phường Hải Vân"
    food = service.submit_report(
        db=session,
        actor=CITIZEN,
        data=report(category="an-toan-thuc-pham", attributes={"poisoning": "yes"}, address=""),
        policy=policy(),
    )
    food_row = session.scalar(select(Report).where(Report.code == food.code))
    assert food_row is not None
    assert food_row.located_by == "point"
    assert units.get_unit_by_id(db=session, unit_id=food_row.agency_id or 0).code == "48.SYT"
    events = session.scalars(select(ReportEvent.kind).where(ReportEvent.report_id == row.id))
    assert list(events) == ["submitted"]


def test_accept_clock_counts_working_hours_over_a_weekend(session: Session) -> None:
    # Friday 20/11/2026 16:00 in Vietnam: 1 h left that day (office until 17:00), then
    # Monday 07:30-11:30 (4 h) and 13:30-16:30 (3 h) make the 8 working hours
    friday = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    row, _category, replayed = intake.submit(
        db=session, actor=CITIZEN, data=report(), channel="app", policy=policy(), now=friday
    )
    assert not replayed
    assert row.accept_due == datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    assert row.clock == "accept"
    assert row.due_at == row.accept_due
    urgent, _c, _r = intake.submit(
        db=session,
        actor=CITIZEN,
        data=report(),
        channel="hotline",
        policy=policy(),
        urgency="urgent",
        now=friday,
    )
    # urgent: 2 working hours → 1 h Friday + 1 h Monday from 07:30
    assert urgent.accept_due == datetime(2026, 11, 23, 1, 30, tzinfo=UTC)


def test_accept_clock_skips_tet(session: Session) -> None:
    # Tết Đinh Mùi: 6/2/2027; the public holiday runs 5/2 to 9/2 and 10/2 is a Wednesday
    before = datetime(2027, 2, 4, 9, 0, tzinfo=UTC)  # Thursday 16:00 in Vietnam
    row, _c, _r = intake.submit(
        db=session, actor=CITIZEN, data=report(), channel="app", policy=policy(), now=before
    )
    calendar = Settings().work_calendar()
    due_local = row.accept_due.astimezone(calendar.tz)
    assert due_local.date() > datetime(2027, 2, 9).date()
    assert not calendar.is_holiday(due_local.date())
    assert calendar.working_time_between(before, row.accept_due).total_seconds() == 8 * 3600


def test_a_retry_with_the_same_key_stores_nothing_new(session: Session) -> None:
    first = service.submit_report(
        db=session, actor=CITIZEN, data=report(), policy=policy(), idempotency_key="k-1"
    )
    again = service.submit_report(
        db=session, actor=CITIZEN, data=report(), policy=policy(), idempotency_key="k-1"
    )
    assert again.code == first.code
    assert again.replayed
    assert not first.replayed
    assert session.scalar(select(func.count()).select_from(Report)) == 1


def test_identity_is_required_from_citizens_but_not_from_the_hotline(session: Session) -> None:
    anonymous = report(reporter={"name": "", "phone": ""})
    with pytest.raises(ProblemError) as caught:
        service.submit_report(db=session, actor=CITIZEN, data=anonymous, policy=policy())
    assert caught.value.code == "reporter_required"
    fields = {".".join(e["location"]) for e in caught.value.errors}
    assert fields == {"body.reporter.name", "body.reporter.phone"}
    relaxed = service.submit_report(
        db=session, actor=CITIZEN, data=anonymous, policy=policy(require_identity=False)
    )
    assert relaxed.code
    operator = staff("operator48", session)
    call = OperatorReportIn.model_validate(
        anonymous.model_dump() | {"channel": "hotline", "urgency": "urgent"}
    )
    recorded = service.record_report(db=session, actor=operator, data=call, policy=policy())
    row = session.scalar(select(Report).where(Report.code == recorded.code))
    assert row is not None
    assert (row.channel, row.urgency, row.recorded_by) == ("hotline", "urgent", "user:operator48")


def test_only_operators_record_for_callers(session: Session) -> None:
    call = OperatorReportIn.model_validate(report().model_dump() | {"channel": "email"})
    with pytest.raises(ProblemError) as caught:
        service.record_report(
            db=session, actor=staff("citizen", session), data=call, policy=policy()
        )
    assert caught.value.code == "forbidden"


@pytest.mark.parametrize(
    ("attributes", "field", "message"),
    [
        ({}, "body.attributes.kind", "an answer is required"),
        ({"kind": "spaceship"}, "body.attributes.kind", "expected one of"),
        ({"kind": "sidewalk", "colour": "red"}, "body.attributes.colour", "no such question"),
    ],
)
def test_extra_questions_are_checked(
    session: Session, attributes: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(ProblemError) as caught:
        service.submit_report(
            db=session, actor=CITIZEN, data=report(attributes=attributes), policy=policy()
        )
    assert caught.value.code == "validation_error"
    errors = {".".join(e["location"]): e["message"] for e in caught.value.errors}
    assert message in errors[field]


def test_a_place_outside_the_country_and_an_unknown_category_are_refused(
    session: Session,
) -> None:
    with pytest.raises(ProblemError) as outside:
        service.submit_report(
            db=session,
            actor=CITIZEN,
            data=report(latitude=PARIS[0], longitude=PARIS[1]),
            policy=policy(),
        )
    assert outside.value.code == "location_outside"
    with pytest.raises(ProblemError) as unknown:
        service.submit_report(
            db=session, actor=CITIZEN, data=report(category="khong-co"), policy=policy()
        )
    assert unknown.value.code == "category_not_found"
    assert session.scalar(select(func.count()).select_from(Report)) == 0


def test_without_a_point_the_address_places_the_report(session: Session) -> None:
    done = service.submit_report(
        db=session,
        actor=CITIZEN,
        data=report(latitude=None, longitude=None, address="tổ 5, phường Hòa Khánh"),
        policy=policy(),
    )
    tracked = service.track_report(db=session, code=done.code)
    assert tracked.unit == "20200"


def test_staff_see_their_scope_and_the_public_sees_no_identity(session: Session) -> None:
    urban = service.submit_report(db=session, actor=CITIZEN, data=report(), policy=policy())
    food = service.submit_report(
        db=session,
        actor=CITIZEN,
        data=report(category="an-toan-thuc-pham", attributes={"poisoning": "no"}),
        policy=policy(),
    )
    health_officer = staff("agency48", session)  # Sở Y tế Đà Nẵng
    seen = service.list_reports(db=session, actor=health_officer)
    assert [r.code for r in seen.items] == [food.code]
    with pytest.raises(ProblemError) as hidden:
        service.get_report(db=session, actor=health_officer, code=urban.code)
    assert hidden.value.code == "report_not_found"
    hanoi = staff("operator01", session)
    assert service.list_reports(db=session, actor=hanoi).total == 0
    danang = staff("operator48", session)
    full = service.get_report(db=session, actor=danang, code=urban.code)
    assert full.reporter.phone == "0905 123 456"
    public = service.track_report(db=session, code=urban.code.lower())
    dumped = public.model_dump_json()
    assert "0905" not in dumped
    assert "Lê Thị Hoa" not in dumped
    assert "reporter" not in public.model_dump()
    assert public.status_text == "Chờ tiếp nhận"


def test_the_agency_accepts_and_the_resolve_clock_starts(session: Session) -> None:
    food = service.submit_report(
        db=session,
        actor=CITIZEN,
        data=report(category="an-toan-thuc-pham", attributes={"poisoning": "yes"}),
        policy=policy(),
    )
    officer = staff("agency48", session)
    calendar = Settings().work_calendar()
    accepted = service.accept_report(db=session, actor=officer, code=food.code, calendar=calendar)
    assert accepted.status == "accepted"
    assert accepted.resolve_due is not None
    assert accepted.due_at == accepted.resolve_due
    assert calendar.working_time_between(
        accepted.updates[-1].at, accepted.resolve_due
    ).total_seconds() == pytest.approx(40 * 3600)
    assert [u.kind for u in service.track_report(db=session, code=food.code).updates] == [
        "submitted",
        "accepted",
    ]
    with pytest.raises(ProblemError) as twice:
        service.accept_report(db=session, actor=officer, code=food.code, calendar=calendar)
    assert twice.value.code == "invalid_transition"
