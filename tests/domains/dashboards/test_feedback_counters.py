"""Counter widgets bound to citizen reports (SQLite and PostgreSQL): open, overdue and
received in the period, for the unit shown; counted again on every view, even when the rest
of the dashboard comes from the cache (reports do not move the indicators' data version)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from dieuhanh.domains.dashboards import service
from dieuhanh.domains.dashboards.schemas import DashboardIn
from dieuhanh.domains.feedback import intake
from tests.domains.dashboards.test_service import show, widget
from tests.domains.feedback.test_intake import CITIZEN, policy, report
from tests.domains.indicators.test_ingest_support import staff
from tests.fixtures.auth import ADMIN
from tests.fixtures.auth import CITIZEN as CITIZEN_USER


def board(session: Session) -> None:
    service.create_dashboard(
        db=session,
        actor=staff(session, ADMIN),
        data=DashboardIn.model_validate(
            {
                "code": "phan-anh",
                "title_vi": "Phản ánh hiện trường",
                "title_en": "Citizen feedback",
                "widgets": [
                    {
                        "id": "reports",
                        "type": "counter",
                        "counters": ["feedback.open", "feedback.overdue", "feedback.received"],
                    },
                    {"id": "cpi", "type": "kpi", "indicator": "CPI"},
                ],
            }
        ),
    )


def counts(data: object) -> dict[str, int]:
    return {item["name"]: item["value"] for item in widget(data, "reports")["items"]}


def test_report_counters_follow_every_report(session: Session) -> None:
    board(session)
    admin = staff(session, ADMIN)
    cache = service.DashboardCache()
    before = show(session, admin, code="phan-anh", period="2026-10", cache=cache)
    assert counts(before) == {"feedback.open": 0, "feedback.overdue": 0, "feedback.received": 0}
    october = datetime(2026, 10, 12, 3, 0, tzinfo=UTC)
    row, _c, _r = intake.submit(
        db=session, actor=CITIZEN, data=report(), channel="app", policy=policy(), now=october
    )
    intake.submit(
        db=session,
        actor=CITIZEN,
        data=report(),
        channel="app",
        policy=policy(),
        now=datetime(2026, 11, 2, 3, 0, tzinfo=UTC),
    )
    row.overdue = True
    session.flush()
    after = show(session, admin, code="phan-anh", period="2026-10", cache=cache)
    assert cache.hits == 1  # the rest of the board came from the cache…
    assert counts(after) == {"feedback.open": 2, "feedback.overdue": 1, "feedback.received": 1}
    item = widget(after, "reports")["items"][0]
    assert item["label"] == "Phản ánh đang xử lý"
    assert item["link"] == "/api/v1/feedback/reports?unit=48&status=new,accepted,paused"
    commune = show(session, admin, code="phan-anh", period="2026-10", unit="20197")
    assert counts(commune)["feedback.open"] == 0  # both reports are in Hải Vân (20194)


def test_report_counters_are_for_staff(session: Session) -> None:
    board(session)
    shown = show(session, staff(session, CITIZEN_USER), code="phan-anh", period="2026-10")
    reports = next(w for w in shown.widgets if w.id == "reports")
    assert reports.data is None
    assert reports.error
