"""Routing rules over the API (SQLite and PostgreSQL): an administrator sends a category's
reports in one commune to another agency; the deepest rule wins, a category's own rule
beats a rule for any category; bad rules are refused at their field; only administrators
write them and every change is audited."""

from __future__ import annotations

import httpx

from tests.domains.feedback.test_api import BASE, body, problem
from tests.fixtures.app import LiveServer
from tests.fixtures.auth import ADMIN, OPERATOR48, ClientFactory

AUDIT = "/api/v1/auth/audit"


def agency_of(operator: httpx.Client, code: str) -> str:
    return str(operator.get(f"{BASE}/reports/{code}").json()["agency"])


def test_rules_route_reports(live_server: LiveServer, client_as: ClientFactory) -> None:
    admin = client_as(ADMIN)
    operator = client_as(OPERATOR48)
    problem(
        operator.put(f"{BASE}/routing-rules", json={"unit": "48", "agency": "48.SXD"}),
        403,
        "forbidden",
    )
    bad = problem(
        admin.put(f"{BASE}/routing-rules", json={"unit": "48", "agency": "20194"}),
        422,
        "validation_error",
    )
    assert bad["errors"][0]["location"] == ["body", "agency"]
    anything = admin.put(
        f"{BASE}/routing-rules",
        json={"unit": "48", "agency": "48.VPUBND", "note": "Mọi phản ánh qua Văn phòng"},
    )
    assert anything.status_code == 200, anything.text
    food_in_hai_van = admin.put(
        f"{BASE}/routing-rules",
        json={"category": "an-toan-thuc-pham", "unit": "20194", "agency": "20194.UBND"},
    ).json()
    with live_server.client() as citizen:
        food = citizen.post(f"{BASE}/reports", json=body(address="phường Hải Vân")).json()
        other = citizen.post(
            f"{BASE}/reports",
            json=body(category="giao-duc", attributes={}, address="phường Hòa Khánh"),
        ).json()
    assert agency_of(operator, food["code"]) == "20194.UBND"  # deepest, own category
    assert agency_of(operator, other["code"]) == "48.VPUBND"  # the any-category rule
    listed = operator.get(f"{BASE}/routing-rules").json()
    assert {(r["category"], r["unit"], r["agency"]) for r in listed} == {
        (None, "48", "48.VPUBND"),
        ("an-toan-thuc-pham", "20194", "20194.UBND"),
    }
    assert admin.delete(f"{BASE}/routing-rules/{food_in_hai_van['id']}").status_code == 204
    problem(admin.delete(f"{BASE}/routing-rules/{food_in_hai_van['id']}"), 404, "not_found")
    audit = admin.get(AUDIT, params={"limit": 50}).json()
    tables = {e["table_name"] for e in audit["items"]}
    assert "feedback_routing_rules" in tables
