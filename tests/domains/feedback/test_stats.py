"""The centre's figures (SQLite and PostgreSQL): counts by status, category, channel, unit
and agency; on-time rates; working hours to accept (a Friday-evening report accepted on
Monday morning took minutes, not days); satisfaction; scope."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from dieuhanh.core.errors import ProblemError
from dieuhanh.domains.feedback import intake, service
from tests.domains.feedback.test_handling import CAL
from tests.domains.feedback.test_intake import CITIZEN, policy, report, staff

FRIDAY_EVENING = datetime(2026, 11, 20, 10, 30, tzinfo=UTC)  # 17:30 in Vietnam: office closed
MONDAY_8AM = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 08:00: 30 working minutes later


def test_figures_by_agency_with_working_hours(session: Session) -> None:
    urban, _c, _r = intake.submit(
        db=session, actor=CITIZEN, data=report(), channel="app", policy=policy(), now=FRIDAY_EVENING
    )
    food, _c2, _r2 = intake.submit(
        db=session,
        actor=CITIZEN,
        data=report(category="an-toan-thuc-pham", attributes={"poisoning": "no"}),
        channel="hotline",
        policy=policy(),
        now=FRIDAY_EVENING,
    )
    urban.status, urban.accepted_at = "accepted", MONDAY_8AM  # accepted on time
    urban.answered_at = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
    urban.resolve_due = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
    urban.status, urban.satisfaction = "closed", 5
    food.overdue = True  # never accepted, past its deadline
    session.flush()
    figures = service.feedback_stats(db=session, actor=staff("operator48", session), calendar=CAL)
    assert figures.total == 2
    assert figures.by_status == {"closed": 1, "new": 1}
    assert figures.by_category == {"an-toan-thuc-pham": 1, "trat-tu-do-thi": 1}
    assert figures.by_channel == {"app": 1, "hotline": 1}
    assert figures.by_unit == {"20194": 2}
    agencies = {a.agency: a for a in figures.agencies}
    commune = agencies["20194.UBND"]
    assert (commune.received, commune.accepted_on_time, commune.answered_on_time) == (1, 1, 1)
    assert commune.on_time_rate == 1.0
    assert commune.avg_hours_to_accept == 0.5
    assert commune.satisfaction == 5
    health = agencies["48.SYT"]
    assert (health.received, health.accepted, health.overdue_now) == (1, 0, 1)
    assert health.on_time_rate is None
    assert figures.overdue_now == 1
    assert figures.satisfaction == 5
    only_health = service.feedback_stats(db=session, actor=staff("agency48", session), calendar=CAL)
    assert only_health.total == 1
    assert [a.agency for a in only_health.agencies] == ["48.SYT"]
    later = service.feedback_stats(
        db=session,
        actor=staff("operator48", session),
        calendar=CAL,
        start=datetime(2026, 11, 21, tzinfo=UTC),
    )
    assert later.total == 0
    with pytest.raises(ProblemError) as caught:
        service.feedback_stats(db=session, actor=staff("citizen", session), calendar=CAL)
    assert caught.value.code == "forbidden"
