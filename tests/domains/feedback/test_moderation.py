"""Nothing private and nothing abusive on the public side: phone numbers, e-mails and ID
numbers typed into a description are masked in its public copy, common insults starred
(without touching ordinary words that fold to the same letters), and an operator may hide a
report or rewrite its public text — the original stays for staff."""

from __future__ import annotations

import httpx
import pytest

from dieuhanh.domains.feedback.moderation import clean
from tests.domains.feedback.test_api import BASE, body, problem
from tests.fixtures.app import LiveServer
from tests.fixtures.auth import AGENCY48, OPERATOR48, ClientFactory


@pytest.mark.parametrize(
    ("typed", "public"),
    [
        ("gọi tôi 0905 123 456 nhé", "gọi tôi *** nhé"),
        ("số +84 905.123.456", "số ***"),
        ("mail nam.le@example.vn", "mail ***"),
        ("CCCD 048123456789, CMND 201234567", "CCCD ***, CMND ***"),
        ("Cán bộ ĐM làm ăn tắc trách, đồ chó!", "Cán bộ *** làm ăn tắc trách, ***!"),
        ("Ổ gà lớn, các buổi chiều con chó sủa", "Ổ gà lớn, các buổi chiều con chó sủa"),
        ("Số nhà 125 đường 2/9, năm 2026", "Số nhà 125 đường 2/9, năm 2026"),
    ],
)
def test_public_text(typed: str, public: str) -> None:
    assert clean(typed).text == public


def test_flags() -> None:
    assert clean("gọi 0905123456").masked_personal
    assert not clean("gọi 0905123456").masked_abusive
    assert clean("vcl").masked_abusive
    assert not clean("Đường hư hỏng nặng").flagged


def test_the_public_sees_the_masked_copy_and_hidden_reports_stay_hidden(
    live_server: LiveServer, client_as: ClientFactory
) -> None:
    typed = "Quán ăn bán đồ ôi thiu, liên hệ tôi 0912 345 678 hoặc nam@example.vn để xác minh."
    with live_server.client() as anyone:
        code = anyone.post(f"{BASE}/reports", json=body(description=typed)).json()["code"]
        public = anyone.get(f"{BASE}/track/{code}").json()
        assert public["description"] == (
            "Quán ăn bán đồ ôi thiu, liên hệ tôi *** hoặc *** để xác minh."
        )
    operator = client_as(OPERATOR48)
    staff_view = operator.get(f"{BASE}/reports/{code}").json()
    assert staff_view["description"] == typed
    assert "flagged" in [u["kind"] for u in staff_view["updates"]]
    problem(
        client_as(AGENCY48).post(
            f"{BASE}/reports/{code}/moderate", json={"hidden": True, "reason": "Nội dung xấu"}
        ),
        403,
        "forbidden",
    )
    rewritten = operator.post(
        f"{BASE}/reports/{code}/moderate",
        json={
            "hidden": False,
            "public_description": "Quán ăn bán thực phẩm không bảo đảm, gọi 0912345678",
            "reason": "Viết lại cho rõ ràng",
        },
    )
    assert rewritten.status_code == 200, rewritten.text
    with httpx.Client(base_url=live_server.url) as anyone:
        shown = anyone.get(f"{BASE}/track/{code}").json()["description"]
        assert shown == "Quán ăn bán thực phẩm không bảo đảm, gọi ***"
        operator.post(
            f"{BASE}/reports/{code}/moderate", json={"hidden": True, "reason": "Trùng lặp, spam"}
        )
        hidden = anyone.get(f"{BASE}/track/{code}").json()
        assert hidden["description"] == ""
        assert hidden["media"] == []
