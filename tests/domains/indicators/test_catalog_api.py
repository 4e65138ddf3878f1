"""Catalog JSON API over a real server, both databases: shapes, problem+json with field
locations, who may do what, and routes that leave the other indicator routers reachable."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from dieuhanh.core.db import Database
from dieuhanh.domains.auth import service as auth_service
from tests.fixtures.auth import ADMIN, ADMIN48, LEADER48, OPERATOR01, OPERATOR48, ClientFactory
from tests.fixtures.indicators import indicator_defaults

PROBLEM = "application/problem+json"
BASE = "/api/v1/indicators"


def problem(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = r.json()
    assert (body["code"], body["status"]) == (code, status)
    assert body["type"].endswith("/" + code)
    assert body["title"]
    return body


def page(r: httpx.Response) -> dict[str, Any]:
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    assert set(body) == {"items", "total", "limit", "offset"}
    return body


def locations(body: dict[str, Any]) -> set[str]:
    return {".".join(str(p) for p in e["location"]) for e in body["errors"]}


def test_reading_needs_a_signed_in_user(client: httpx.Client) -> None:
    problem(client.get(BASE), 401, "not_authenticated")
    problem(client.get(f"{BASE}/GRDP"), 401, "not_authenticated")


def test_list_and_read(client_as: ClientFactory) -> None:
    operator = client_as(OPERATOR48)
    body = page(operator.get(BASE, params={"q": "thu ngan sach", "limit": 2}))
    assert body["total"] == 3
    assert [i["code"] for i in body["items"]] == ["BUDGET_REVENUE", "BUDGET_REVENUE_PCT"]
    finance = page(operator.get(BASE, params={"sector": "finance", "limit": 100}))
    assert finance["total"] == 4
    grdp = operator.get(f"{BASE}/GRDP")
    assert grdp.status_code == 200
    item = grdp.json()
    assert "id" not in item
    assert not any(key.endswith("_id") for key in item)
    assert item["owner_agency"] == "48.STC"
    assert item["owner_agency_name"] == "Sở Tài chính thành phố Đà Nẵng"
    assert (item["agg_units"], item["agg_time"], item["version"]) == ("sum", "sum", 1)
    problem(operator.get(f"{BASE}/NO_SUCH"), 404, "indicator_not_found")
    versions = page(operator.get(f"{BASE}/GRDP/versions"))
    assert versions["total"] == 1
    assert versions["items"][0]["changed_by"] == "pack:socioeconomic"
    dimensions = page(operator.get(f"{BASE}/dimensions"))
    assert [d["code"] for d in dimensions["items"]] == ["age_group", "area", "sex"]
    rules = page(operator.get(f"{BASE}/rules", params={"limit": 100}))
    assert rules["total"] == 11
    rule = operator.get(f"{BASE}/rules/POPULATION_SEX_TOTAL").json()
    assert rule["left"] == "#{POPULATION:sex=male} + #{POPULATION:sex=female}"
    assert "id" not in rule


def test_lower_case_paths_are_not_indicator_codes(client_as: ClientFactory) -> None:
    """``/{code}`` must not swallow the data, query and export routes of the same prefix."""
    operator = client_as(OPERATOR48)
    body = problem(operator.get(f"{BASE}/grdp"), 404, "not_found")
    assert body["code"] != "indicator_not_found"
    for path in ("/data", "/export", "/dimensions", "/rules"):
        r = operator.get(BASE + path)
        if r.headers.get("content-type", "").startswith(PROBLEM):
            assert r.json()["code"] != "indicator_not_found", path


def test_administrators_create_and_change(client_as: ClientFactory) -> None:
    admin = client_as(ADMIN)
    created = admin.post(BASE, json=indicator_defaults("TEST_API"))
    assert created.status_code == 201, created.text
    assert created.json()["version"] == 1
    assert "id" not in created.json()
    problem(admin.post(BASE, json=indicator_defaults("TEST_API")), 409, "indicator_exists")
    changed = admin.patch(f"{BASE}/TEST_API", json={"decimals": 2, "direction": "down"})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["decimals"], changed.json()["version"]) == (2, 2)
    versions = page(admin.get(f"{BASE}/TEST_API/versions"))
    assert [(v["version"], v["changed_by"]) for v in versions["items"]] == [
        (2, "user:admin"),
        (1, "user:admin"),
    ]
    assert versions["items"][1]["definition"]["direction"] == "up"


def test_changes_are_audited(client_as: ClientFactory, database: Database) -> None:
    admin = client_as(ADMIN48)
    assert admin.patch(f"{BASE}/CPI", json={"deadline_workdays": 6}).status_code == 200
    with database.reading() as db:
        log = auth_service.list_audit(
            db=db, actor=auth_service.system_actor("tests"), actor_name=ADMIN48, limit=50
        )
    changes = {(e.action, e.table_name) for e in log.items}
    assert ("update", "indicators") in changes
    assert ("insert", "indicator_versions") in changes
    update = next(e for e in log.items if e.table_name == "indicators")
    assert update.before
    assert update.after
    assert (update.before["deadline_workdays"], update.after["deadline_workdays"]) == (5, 6)


@pytest.mark.parametrize(
    ("change", "where", "kind"),
    [
        ({"code": "lower_case"}, "body.code", "string_pattern_mismatch"),
        ({"agg_units": "median"}, "body.agg_units", "literal_error"),
        ({"agg_units": "wavg"}, "body.weight_indicator", "weight_required"),
        ({"cadence": "fortnight"}, "body.cadence", "literal_error"),
        ({"decimals": 9}, "body.decimals", "less_than_equal"),
        ({"disaggregations": ["sex", "religion"]}, "body.disaggregations", "unknown_dimension"),
        ({"owner_agency": "48.NOPE"}, "body.owner_agency", "unknown_agency"),
        ({"formula": "#{GRDP} +"}, "body.formula", "formula_syntax"),
        ({"formula": "#{TEST_V} * 2"}, "body.formula", "formula_cycle"),
        ({"unknown_field": 1}, "body.unknown_field", "extra_forbidden"),
    ],
)
def test_invalid_definitions_name_the_field(
    client_as: ClientFactory, change: dict[str, Any], where: str, kind: str
) -> None:
    admin = client_as(ADMIN)
    body = problem(admin.post(BASE, json={**indicator_defaults("TEST_V"), **change}), 422,
                   "validation_error")  # fmt: skip
    assert where in locations(body)
    assert kind in {e["type"] for e in body["errors"]}
    problem(admin.get(f"{BASE}/TEST_V"), 404, "indicator_not_found")  # nothing written


def test_english_messages_follow_accept_language(client_as: ClientFactory) -> None:
    admin = client_as(ADMIN)
    vi = problem(admin.get(f"{BASE}/NOPE_X"), 404, "indicator_not_found")
    assert vi["title"] == "Chỉ tiêu không tồn tại"
    en = problem(
        admin.get(f"{BASE}/NOPE_X", headers={"Accept-Language": "en"}), 404, "indicator_not_found"
    )
    assert en["title"] == "The indicator does not exist"


def test_only_administrators_manage(client_as: ClientFactory) -> None:
    for username in (OPERATOR48, LEADER48):
        user = client_as(username)
        problem(user.post(BASE, json=indicator_defaults("TEST_NO")), 403, "forbidden")
        problem(user.patch(f"{BASE}/GRDP", json={"decimals": 3}), 403, "forbidden")
        rule = {"code": "TEST_R", "name_vi": "Thử", "name_en": "Test", "left": "1",
                "operator": "<", "right": "2"}  # fmt: skip
        problem(user.post(f"{BASE}/rules", json=rule), 403, "forbidden")


def test_rules_api(client_as: ClientFactory) -> None:
    admin = client_as(ADMIN)
    rule = {
        "code": "TEST_IMPORTS",
        "name_vi": "Nhập khẩu không âm",
        "name_en": "Imports are not negative",
        "left": "#{IMPORT_TURNOVER}",
        "operator": ">=",
        "right": "0",
    }
    created = admin.post(f"{BASE}/rules", json=rule)
    assert created.status_code == 201, created.text
    assert created.json()["component"] == "local"
    problem(admin.post(f"{BASE}/rules", json=rule), 409, "rule_exists")
    changed = admin.patch(f"{BASE}/rules/TEST_IMPORTS", json={"active": False})
    assert changed.json()["active"] is False
    listed = page(admin.get(f"{BASE}/rules", params={"component": "local"}))
    assert listed["total"] == 0
    listed = page(
        admin.get(f"{BASE}/rules", params={"component": "local", "include_inactive": True})
    )
    assert [r["code"] for r in listed["items"]] == ["TEST_IMPORTS"]
    bad = problem(
        admin.patch(f"{BASE}/rules/TEST_IMPORTS", json={"left": "#{NOPE}"}), 422, "validation_error"
    )
    assert locations(bad) == {"body.left"}
    problem(admin.get(f"{BASE}/rules/NO_RULE"), 404, "rule_not_found")


def test_targets_api_in_scope(client_as: ClientFactory) -> None:
    leader = client_as(LEADER48)
    rows = [{"unit": "48", "year": 2026, "value": 32_000, "source": "NQ HĐND"}] + [
        {"unit": "48", "year": 2026, "month": m, "value": 2_000 + m} for m in (1, 2, 3)
    ]
    put = leader.put(f"{BASE}/BUDGET_REVENUE/targets", json=rows)
    body = page(put)
    assert body["total"] == 4
    assert body["items"][0] == {
        "indicator": "BUDGET_REVENUE",
        "unit": "48",
        "unit_name": "Thành phố Đà Nẵng",
        "hierarchy": "2025",
        "year": 2026,
        "month": 0,
        "value": 32_000.0,
        "source": "NQ HĐND",
    }
    read = page(
        client_as(OPERATOR48).get(
            f"{BASE}/BUDGET_REVENUE/targets", params={"unit": "48", "year": 2026}
        )
    )
    assert [(t["month"], t["value"]) for t in read["items"]] == [
        (0, 32_000.0),
        (1, 2_001.0),
        (2, 2_002.0),
        (3, 2_003.0),
    ]
    hanoi = client_as(OPERATOR01)
    assert page(hanoi.get(f"{BASE}/BUDGET_REVENUE/targets"))["total"] == 0
    problem(hanoi.get(f"{BASE}/BUDGET_REVENUE/targets", params={"unit": "48"}), 403, "out_of_scope")
    problem(client_as(OPERATOR48).put(f"{BASE}/BUDGET_REVENUE/targets", json=rows), 403,
            "forbidden")  # fmt: skip
    outside = problem(
        leader.put(f"{BASE}/BUDGET_REVENUE/targets", json=[{"unit": "01", "year": 2026,
                                                             "value": 1}]),
        403,
        "out_of_scope",
    )  # fmt: skip
    assert locations(outside) == {"body.0.unit"}
    invalid = problem(
        leader.put(f"{BASE}/BUDGET_REVENUE/targets", json=[{"unit": "48", "year": 2026,
                                                             "month": 13, "value": 1}]),
        422,
        "validation_error",
    )  # fmt: skip
    assert locations(invalid) == {"body.0.month"}
