"""The feedback figures as indicator values (SQLite and PostgreSQL): what the month's reports
say, read back through the indicators engine (formulas included), zeros for a month without
reports, and an hourly run that finds nothing new writing nothing."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from dieuhanh.core.periods import Period
from dieuhanh.domains.auth import service as auth_service
from dieuhanh.domains.feedback import intake, service
from dieuhanh.domains.indicators import service as indicators
from tests.domains.feedback.test_handling import CAL
from tests.domains.feedback.test_intake import CITIZEN, policy, report
from tests.domains.indicators.test_query import ADMIN

SYSTEM = auth_service.system_actor("feedback")
OCTOBER = datetime(2026, 10, 12, 3, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)


def value(session: Session, code: str, period: str) -> float | None:
    series = indicators.series(
        db=session, actor=ADMIN, code=code, unit="48", start=period, end=period
    )
    return series.points[0].value if series.points else None


def test_the_months_figures_are_indicator_values(session: Session) -> None:
    answered, _c, _r = intake.submit(
        db=session, actor=CITIZEN, data=report(), channel="app", policy=policy(), now=OCTOBER
    )
    answered.accepted_at = OCTOBER
    answered.answered_at = datetime(2026, 10, 13, 3, 0, tzinfo=UTC)
    answered.resolve_due = datetime(2026, 10, 20, 3, 0, tzinfo=UTC)
    answered.status, answered.satisfaction = "closed", 4
    late, _c2, _r2 = intake.submit(
        db=session, actor=CITIZEN, data=report(), channel="app", policy=policy(), now=OCTOBER
    )
    late.accepted_at = OCTOBER
    late.answered_at = datetime(2026, 10, 30, 3, 0, tzinfo=UTC)  # after its deadline
    late.resolve_due = datetime(2026, 10, 20, 3, 0, tzinfo=UTC)
    late.status, late.satisfaction = "closed", 2
    open_one, _c3, _r3 = intake.submit(
        db=session, actor=CITIZEN, data=report(), channel="app", policy=policy(), now=OCTOBER
    )
    session.flush()
    months = [Period.parse("2026-09"), Period.parse("2026-10")]
    written = service.publish_figures(
        db=session, actor=SYSTEM, province="48", calendar=CAL, now=NOW, periods=months
    )
    assert written == 12  # six figures, two months
    assert value(session, "FEEDBACK_RECEIVED", "2026-10") == 3
    assert value(session, "FEEDBACK_ANSWERED", "2026-10") == 2
    assert value(session, "FEEDBACK_ANSWERED_ON_TIME", "2026-10") == 1
    assert value(session, "FEEDBACK_ON_TIME_RATE", "2026-10") == 50
    assert value(session, "FEEDBACK_SATISFACTION", "2026-10") == 3
    assert value(session, "FEEDBACK_OVERDUE", "2026-10") == 1  # the open one, past its due
    assert value(session, "FEEDBACK_RECEIVED", "2026-09") == 0  # known zero, not missing
    assert (
        service.publish_figures(
            db=session, actor=SYSTEM, province="48", calendar=CAL, now=NOW, periods=months
        )
        == 0
    )
    open_one.status, open_one.answered_at = "answered", datetime(2026, 10, 14, tzinfo=UTC)
    open_one.resolve_due = datetime(2026, 10, 20, 3, 0, tzinfo=UTC)
    session.flush()
    again = service.publish_figures(
        db=session, actor=SYSTEM, province="48", calendar=CAL, now=NOW, periods=months
    )
    assert again == 3  # answered, on time and overdue changed
    assert value(session, "FEEDBACK_ON_TIME_RATE", "2026-10") == 2 / 3 * 100


def test_the_job_covers_this_month_and_the_last() -> None:
    months = [str(p) for p in service.figures.recent_months(NOW, CAL)]
    assert months == ["2026-10", "2026-11"]
