"""The monthly briefing: its PDF (printed by the system Chromium) says the right figures in
Vietnamese, and the scheduled job e-mails it once to a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import email
import io
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from pypdf import PdfReader

from dieuhanh.core.db import Database
from dieuhanh.core.pages import build_templates
from dieuhanh.core.settings import Settings
from dieuhanh.core.workdays import WorkCalendar
from dieuhanh.domains.dashboards import service as dashboards
from dieuhanh.domains.feedback import intake
from dieuhanh.domains.feedback.intake import IntakePolicy
from dieuhanh.domains.indicators import service as indicators
from dieuhanh.domains.indicators.schemas import TargetIn
from dieuhanh.web import briefing
from dieuhanh.web.app import WEB_DIR
from tests.domains.feedback.test_intake import CITIZEN, report
from tests.domains.indicators.test_ingest_support import ingest, row, staff
from tests.fixtures.auth import ADMIN
from tests.fixtures.indicators import CATALOG_ACTOR

TEMPLATES = build_templates(WEB_DIR / "templates").env


@pytest.fixture
def filled(database: Database) -> Database:
    """October 2026 and October 2025 of a few indicators for Đà Nẵng (48), with a plan."""
    with database.transaction() as s:
        admin = staff(s, ADMIN)
        rows = []
        for month, retail in (("2025-10", 9000.0), ("2026-09", 9500.0), ("2026-10", 10000.0)):
            rows.append(row("RETAIL_SALES", "48", month, retail))
        rows += [row("NEW_ENTERPRISES", "48", "2026-10", 300.0)]
        rows += [row("NEW_ENTERPRISES", "48", "2025-10", 400.0)]
        ingest(s, admin, rows, idempotency_key="briefing-fill")
        indicators.set_targets(
            db=s,
            actor=CATALOG_ACTOR,
            code="RETAIL_SALES",
            rows=[TargetIn(unit="48", year=2026, value=120_000)],
        )
        s.info.pop("actor", None)
    return database


def text_of(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def build(database: Database) -> dashboards.Briefing:
    with database.reading() as db:
        return dashboards.build_briefing(
            db=db,
            actor=CATALOG_ACTOR,
            unit="48",
            period="2026-10",
            calendar=WorkCalendar(),
        )


def test_briefing_pdf_says_the_figures(filled: Database, settings: Settings) -> None:
    found = build(filled)
    retail = next(r for r in found.headline if r.code == "RETAIL_SALES")
    assert (retail.value_text, retail.ytd_text, retail.plan_text) == ("10.000", "19.500", "120.000")
    assert [m.code for m in found.rising] == ["RETAIL_SALES"]
    assert [m.code for m in found.falling] == ["NEW_ENTERPRISES"]
    pdf = briefing.render_pdf(TEMPLATES, found, settings)
    assert pdf.startswith(b"%PDF")
    text = " ".join(text_of(pdf).split())
    assert "Ủy ban nhân dân Thành phố Đà Nẵng" in text
    assert "Tháng 10/2026" in text
    assert "Các chỉ tiêu chủ yếu so với kế hoạch" in text
    assert "10.000 19.500 120.000 16,2%" in text  # value, year to date, plan, progress
    assert "+11,1%" in text  # retail against October 2025
    assert "-25,0% (400 → 300)" in text  # new enterprises fell
    assert "Cơ quan chậm cung cấp số liệu" in text


def test_briefing_reports_citizen_feedback_of_the_month(
    filled: Database, settings: Settings
) -> None:
    calendar = WorkCalendar()
    with filled.transaction() as s:
        policy = IntakePolicy(home_province="48", calendar=calendar)
        october = datetime(2026, 10, 12, 3, 0, tzinfo=UTC)
        first, _c, _r = intake.submit(
            db=s, actor=CITIZEN, data=report(), channel="app", policy=policy, now=october
        )
        food, _c2, _r2 = intake.submit(
            db=s,
            actor=CITIZEN,
            data=report(category="an-toan-thuc-pham", attributes={"poisoning": "no"}),
            channel="hotline",
            policy=policy,
            now=october,
        )
        first.accepted_at = october
        first.answered_at = datetime(2026, 10, 13, 3, 0, tzinfo=UTC)
        first.resolve_due = datetime(2026, 10, 20, 3, 0, tzinfo=UTC)
        first.status, first.satisfaction = "closed", 4
        food.overdue = True
        intake.submit(  # November: not in October's briefing
            db=s,
            actor=CITIZEN,
            data=report(),
            channel="app",
            policy=policy,
            now=datetime(2026, 11, 3, 3, 0, tzinfo=UTC),
        )
    found = build(filled)
    assert found.feedback is not None
    assert (found.feedback.received, found.feedback.answered, found.feedback.overdue_now) == (
        2,
        1,
        1,
    )
    assert found.feedback.on_time_text == "100,0%"
    assert found.feedback.agencies[0].agency == "Sở Y tế thành phố Đà Nẵng"  # most overdue
    text = " ".join(text_of(briefing.render_pdf(TEMPLATES, found, settings)).split())
    assert "Phản ánh của người dân" in text
    assert "Phản ánh tiếp nhận trong tháng: 2; đã trả lời: 1, đúng hạn: 100,0%" in text
    assert "mức hài lòng: 4,0 / 5" in text


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler = Inbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def test_monthly_job_emails_the_briefing_once(
    filled: Database, settings: Settings, inbox: tuple[Inbox, int]
) -> None:
    handler, port = inbox
    configured = settings.model_copy(
        update={
            "briefing_recipients": ["chu.tich@danang.gov.vn", "vp@danang.gov.vn"],
            "briefing_day": 5,
            "briefing_hour": 7,
            "smtp_port": port,
        }
    )
    early = datetime(2026, 11, 4, 23, 0, tzinfo=UTC)  # 5 Nov, 06:00 in Hà Nội: not yet
    assert briefing.deliver_due(filled, configured, TEMPLATES, early) is False
    due = datetime(2026, 11, 5, 1, 0, tzinfo=UTC)  # 08:00 local time
    assert briefing.deliver_due(filled, configured, TEMPLATES, due) is True
    assert briefing.deliver_due(filled, configured, TEMPLATES, due) is False  # once only
    assert len(handler.messages) == 1
    message = handler.messages[0]
    assert message["To"] == "chu.tich@danang.gov.vn, vp@danang.gov.vn"
    subject = str(email.header.make_header(email.header.decode_header(message["Subject"])))
    assert subject == "Báo cáo tình hình Thành phố Đà Nẵng, Tháng 10/2026"
    (attachment,) = [p for p in message.walk() if p.get_filename()]
    assert attachment.get_filename() == "bao-cao-48-2026-10.pdf"
    payload = attachment.get_payload(decode=True)
    assert isinstance(payload, bytes)
    assert "19.500" in text_of(payload)
    with filled.reading() as db:
        assert dashboards.delivered(db=db, unit="48", period="2026-10")


def test_no_recipients_no_mail(filled: Database, settings: Settings) -> None:
    due = datetime(2026, 11, 5, 1, 0, tzinfo=UTC)
    assert briefing.deliver_due(filled, settings, TEMPLATES, due) is False
