"""Reporters hear of every public step by SMS (a real HTTP SMS gateway on 127.0.0.1) and
e-mail (a real SMTP server on 127.0.0.1): once per step, retried when the gateway fails and
given up after three attempts, and the reporters merged into a report hear its answer."""

from __future__ import annotations

import email
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from pydantic import SecretStr
from sqlalchemy import select

from dieuhanh.core.db import Database
from dieuhanh.core.settings import Settings
from dieuhanh.domains.feedback import answers, handling, intake
from dieuhanh.domains.feedback.models import Notification, Report
from dieuhanh.web import feedback_notify
from tests.domains.feedback.test_handling import CAL
from tests.domains.feedback.test_intake import CITIZEN, policy, report, staff
from tests.web.test_briefing import Inbox, free_port


@dataclass
class Gateway:
    """An SMS gateway: records what it was sent; ``failing`` answers 503."""

    url: str = ""
    messages: list[dict[str, Any]] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)
    failing: bool = False


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    state = Gateway()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            body = json.loads(self.rfile.read(length))
            state.tokens.append(self.headers.get("authorization", ""))
            if state.failing:
                self.send_response(503)
                self.end_headers()
                return
            state.messages.append(body)
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"status":"queued"}')

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/sms"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()


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


@pytest.fixture
def wired(settings: Settings, gateway: Gateway, inbox: tuple[Inbox, int]) -> Settings:
    return settings.model_copy(
        update={
            "sms_url": gateway.url,
            "sms_token": SecretStr("sms-token"),
            "feedback_email": True,
            "smtp_port": inbox[1],
            "public_url": "https://phananh.danang.gov.vn",
        }
    )


def submitted(database: Database, **overrides: Any) -> str:
    who = {"reporter": {"name": "Lê Văn Bình", "phone": "0905 111 222", "email": "b@x.vn"}}
    with database.transaction() as db:
        row, _c, _r = intake.submit(
            db=db,
            actor=CITIZEN,
            data=report(**(who | overrides)),
            channel="app",
            policy=policy(),
        )
        return row.code


def test_each_step_reaches_the_reporter_once(
    database: Database, wired: Settings, gateway: Gateway, inbox: tuple[Inbox, int]
) -> None:
    code = submitted(database)
    assert feedback_notify.deliver(database, wired)
    assert len(gateway.messages) == 1
    sms = gateway.messages[0]
    assert sms["to"] == "0905111222"
    assert sms["text"].startswith(f"[{code}] Đã nhận phản ánh. Theo dõi phản ánh: ")
    assert f"https://phananh.danang.gov.vn/phan-anh/{code}?key=" in sms["text"]
    assert gateway.tokens == ["Bearer sms-token"]
    (mail,) = inbox[0].messages
    assert isinstance(mail, Message)
    assert email.header.decode_header(mail["Subject"])  # set
    assert mail["To"] == "b@x.vn"
    assert not feedback_notify.deliver(database, wired)  # nothing new: nothing sent again
    assert len(gateway.messages) == 1
    with database.transaction() as db:
        handling.accept(handling.Handling(db, staff("operator48", db), CAL), code)
    feedback_notify.deliver(database, wired)
    assert [m["text"].split(".")[0] for m in gateway.messages] == [
        f"[{code}] Đã nhận phản ánh",
        f"[{code}] Cơ quan có thẩm quyền đã tiếp nhận",
    ]


def test_a_failing_gateway_is_retried_then_given_up(
    database: Database, wired: Settings, gateway: Gateway
) -> None:
    submitted(database)
    gateway.failing = True
    for _ in range(3):
        feedback_notify.deliver(database, wired)
    with database.reading() as db:
        sms = db.scalar(select(Notification).where(Notification.channel == "sms"))
        assert sms is not None
        assert (sms.status, sms.attempts) == ("dead", 3)
        assert "503" in sms.last_error
        mail = db.scalar(select(Notification).where(Notification.channel == "email"))
        assert mail is not None
        assert mail.status == "sent"
    gateway.failing = False
    feedback_notify.deliver(database, wired)
    assert gateway.messages == []  # given up: kept for the operators, not resent


def test_without_channels_nothing_is_queued(database: Database, settings: Settings) -> None:
    submitted(database)
    assert not feedback_notify.deliver(database, settings)
    with database.reading() as db:
        assert db.scalar(select(Notification.id)) is None


def test_merged_reporters_hear_the_single_answer(
    database: Database, wired: Settings, gateway: Gateway
) -> None:
    first = submitted(database)
    second = submitted(database, reporter={"name": "B", "phone": "0911 000 999", "email": ""})
    with database.transaction() as db:
        h = handling.Handling(db, staff("operator48", db), CAL)
        second_row = db.scalar(select(Report).where(Report.code == second))
        assert second_row is not None
        answers.merge(h, second, first)
        handling.accept(h, first)
        master = db.scalar(select(Report).where(Report.code == first))
        assert master is not None
        master.status = "answered"  # the answer itself is tested with photos elsewhere
        handling.record(h, master, "answered", public=True, message="Đã vá xong")
    gateway.messages.clear()
    feedback_notify.deliver(database, wired, datetime.now(UTC) + timedelta(seconds=1))
    answered = [m for m in gateway.messages if "Đã công khai kết quả trả lời" in m["text"]]
    assert sorted(m["to"] for m in answered) == ["0905111222", "0911000999"]
    assert any(f"/phan-anh/{second}?key=" in m["text"] for m in answered)
