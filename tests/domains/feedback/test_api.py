"""The feedback JSON API over a real server (SQLite and PostgreSQL): categories for anyone,
a citizen's submission and its idempotent retry, following it by code without identity,
the operator's intake, staff lists scoped to agency and unit, accepting, and bad input
answered with field-level errors."""

from __future__ import annotations

from typing import Any

import httpx

from tests.fixtures.app import LiveServer
from tests.fixtures.auth import AGENCY48, CITIZEN, OPERATOR01, OPERATOR48, ClientFactory

BASE = "/api/v1/feedback"
PROBLEM = "application/problem+json"


def body(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "category": "an-toan-thuc-pham",
        "description": "Quán cơm bán đồ ăn ôi thiu, nhiều người bị đau bụng sau khi ăn.",
        "attributes": {"poisoning": "yes", "business": "Quán cơm Bà Năm"},
        "latitude": 16.054,
        "longitude": 108.202,
        "address": "25 Âu Cơ, phường Hòa Khánh",
        "reporter": {"name": "Phạm Văn Nam", "phone": "0912345678", "email": "nam@example.vn"},
    }
    return data | overrides


def problem(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    found: dict[str, Any] = r.json()
    assert found["code"] == code
    return found


def test_anyone_reads_categories_and_submits_once(live_server: LiveServer) -> None:
    with live_server.client() as anonymous:
        categories = anonymous.get(f"{BASE}/categories", headers={"Accept-Language": "en"})
        assert categories.status_code == 200
        names = {c["code"]: c["name"] for c in categories.json()}
        assert names["an-toan-thuc-pham"] == "Food safety"
        first = anonymous.post(f"{BASE}/reports", json=body(), headers={"Idempotency-Key": "x1"})
        assert first.status_code == 201, first.text
        code = first.json()["code"]
        key = first.json()["follow_key"]
        assert first.json()["follow_url"] == f"/phan-anh/{code}?key={key}"
        assert first.json()["agency_name"] == "Sở Y tế thành phố Đà Nẵng"
        retry = anonymous.post(f"{BASE}/reports", json=body(), headers={"Idempotency-Key": "x1"})
        assert retry.status_code == 200
        assert retry.json()["code"] == code
        assert retry.json()["replayed"] is True
        tracked = anonymous.get(f"{BASE}/track/{code}")
        assert tracked.status_code == 200
        assert tracked.json()["status"] == "new"
        assert tracked.json()["unit"] == "20200"
        for private in ("Phạm Văn Nam", "0912345678", "nam@example.vn"):
            assert private not in tracked.text
        listed = anonymous.get(f"{BASE}/public/reports", params={"category": "an-toan-thuc-pham"})
        assert [r["code"] for r in listed.json()["items"]] == [code]
        assert "0912345678" not in listed.text
        problem(anonymous.get(f"{BASE}/reports"), 401, "not_authenticated")
        problem(anonymous.get(f"{BASE}/track/PA-0000-XXXXXX"), 404, "report_not_found")


def test_bad_submissions_name_the_field(live_server: LiveServer) -> None:
    with live_server.client() as anonymous:
        short = problem(
            anonymous.post(f"{BASE}/reports", json=body(description="ngắn")),
            422,
            "validation_error",
        )
        assert ["body", "description"] in [e["location"] for e in short["errors"]]
        half = problem(
            anonymous.post(f"{BASE}/reports", json=body(longitude=None)), 422, "validation_error"
        )
        assert half["errors"]
        nameless = problem(
            anonymous.post(f"{BASE}/reports", json=body(reporter={"name": "", "phone": ""})),
            422,
            "reporter_required",
        )
        assert {tuple(e["location"]) for e in nameless["errors"]} == {
            ("body", "reporter", "name"),
            ("body", "reporter", "phone"),
        }
        problem(
            anonymous.post(f"{BASE}/reports", json=body(category="khong-ton-tai")),
            404,
            "category_not_found",
        )
        vi = problem(
            anonymous.post(f"{BASE}/reports", json=body(latitude=48.85, longitude=2.35)),
            422,
            "location_outside",
        )
        assert vi["title"] == "Vị trí nằm ngoài địa bàn do trung tâm phục vụ"
        listed = anonymous.get(f"{BASE}/public/reports")
        assert listed.json()["total"] == 0


def test_operators_record_calls_and_staff_see_their_scope(
    live_server: LiveServer, client_as: ClientFactory
) -> None:
    operator = client_as(OPERATOR48)
    call = body(
        category="trat-tu-do-thi",
        attributes={"kind": "construction"},
        reporter={"name": "", "phone": ""},
        channel="hotline",
        urgency="urgent",
        address="phường Hải Vân",
        latitude=None,
        longitude=None,
    )
    recorded = operator.post(f"{BASE}/intake", json=call)
    assert recorded.status_code == 201, recorded.text
    urban = recorded.json()["code"]
    with live_server.client() as anonymous:
        food = anonymous.post(f"{BASE}/reports", json=body()).json()["code"]
    problem(client_as(CITIZEN).post(f"{BASE}/intake", json=call), 403, "forbidden")
    seen = operator.get(f"{BASE}/reports").json()
    assert {r["code"] for r in seen["items"]} == {urban, food}
    mine = operator.get(f"{BASE}/reports/{urban}").json()
    assert (mine["channel"], mine["urgency"], mine["agency"]) == ("hotline", "urgent", "20194.UBND")
    assert mine["recorded_by"] == "user:operator48"
    health = client_as(AGENCY48)
    assert [r["code"] for r in health.get(f"{BASE}/reports").json()["items"]] == [food]
    problem(health.get(f"{BASE}/reports/{urban}"), 404, "report_not_found")
    hanoi = client_as(OPERATOR01)
    assert hanoi.get(f"{BASE}/reports").json()["total"] == 0
    filtered = operator.get(f"{BASE}/reports", params={"category": "trat-tu-do-thi"}).json()
    assert [r["code"] for r in filtered["items"]] == [urban]
    accepted = health.post(f"{BASE}/reports/{food}/accept")
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted"
    assert accepted.json()["resolve_due"] is not None
    problem(health.post(f"{BASE}/reports/{food}/accept"), 409, "invalid_transition")
    problem(health.post(f"{BASE}/reports/{urban}/accept"), 404, "report_not_found")
    problem(client_as(CITIZEN).post(f"{BASE}/reports/{food}/accept"), 403, "forbidden")
