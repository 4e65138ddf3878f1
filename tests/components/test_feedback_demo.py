"""The demo province's citizen reports (SQLite and PostgreSQL): reports at every stage,
placed in communes of the province, figures written, and a second run changing nothing."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from dieuhanh.components.feedback import demo
from dieuhanh.core.settings import Settings
from dieuhanh.domains.auth import service as auth_service
from dieuhanh.domains.feedback import service as feedback

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)


def test_demo_reports_at_every_stage_and_idempotent(session: Session) -> None:
    actor = auth_service.system_actor("demo")
    calendar = Settings().work_calendar()
    first = demo.generate(
        db=session, actor=actor, home_province="48", calendar=calendar, now=NOW, count=40
    )
    assert (first.created, first.replayed) == (40, 0)
    assert first.figures > 0
    admin = auth_service.system_actor("test")
    listed = feedback.list_reports(db=session, actor=admin, limit=100)
    assert listed.total == 40
    stages = Counter(r.status for r in listed.items)
    assert {"new", "accepted", "answered", "closed"} <= set(stages)
    assert all(r.unit and r.unit.startswith("2") for r in listed.items)  # communes of 48
    assert all(r.latitude is not None for r in listed.items)
    again = demo.generate(
        db=session, actor=actor, home_province="48", calendar=calendar, now=NOW, count=40
    )
    assert (again.created, again.replayed, again.figures) == (0, 40, 0)
