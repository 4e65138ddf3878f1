"""The auth JSON API over a real server: identity, users, API keys, CSRF, audit listing."""

from __future__ import annotations

from typing import Any

import httpx

from dieuhanh.core.db import Database
from dieuhanh.core.security import Role
from tests.fixtures.auth import (
    ADMIN,
    ADMIN48,
    AGENCY48,
    OPERATOR01,
    OPERATOR48,
    ClientFactory,
    api_key_for,
    bearer,
)

PROBLEM = "application/problem+json"
NEW_PASSWORD = "Biển-Mỹ-Khê-2026"


def problem(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = r.json()
    assert body["code"] == code
    return body


def test_me_describes_the_signed_in_user(client: httpx.Client, client_as: ClientFactory) -> None:
    problem(client.get("/api/v1/auth/me"), 401, "not_authenticated")
    me = client_as(AGENCY48).get("/api/v1/auth/me").json()
    assert me["kind"] == "user"
    assert me["name"] == AGENCY48
    assert me["role"] == "agency_officer"
    assert me["role_label"] == "Agency officer"
    assert me["scope_unit_code"] == "48"
    assert me["agency_unit_code"] == "48.SYT"
    assert me["full_name"] == "Cán bộ Sở Y tế"
    assert me["csrf_token"]


def test_users_list_is_paginated_and_scoped(client_as: ClientFactory) -> None:
    everyone = client_as(ADMIN).get("/api/v1/auth/users", params={"limit": 3}).json()
    assert set(everyone) == {"items", "total", "limit", "offset"}
    assert everyone["limit"] == 3
    assert len(everyone["items"]) == 3
    assert everyone["total"] >= 7
    page2 = client_as(ADMIN).get("/api/v1/auth/users", params={"limit": 3, "offset": 3}).json()
    first = {u["username"] for u in everyone["items"]}
    assert first.isdisjoint(u["username"] for u in page2["items"])
    scoped = client_as(ADMIN48).get("/api/v1/auth/users", params={"limit": 100}).json()
    names = {u["username"] for u in scoped["items"]}
    assert OPERATOR48 in names
    assert OPERATOR01 not in names
    assert ADMIN not in names
    assert all(u["scope_unit_code"] == "48" for u in scoped["items"])
    assert "password_hash" not in scoped["items"][0]
    found = client_as(ADMIN).get("/api/v1/auth/users", params={"q": "Nguyễn Văn"}).json()
    assert [u["username"] for u in found["items"]] == [OPERATOR48]
    found = client_as(ADMIN).get("/api/v1/auth/users", params={"q": "OPERATOR"}).json()
    assert {u["username"] for u in found["items"]} == {OPERATOR48, OPERATOR01}
    assert client_as(ADMIN).get("/api/v1/auth/users", params={"q": "%"}).json()["total"] == 0
    operators = client_as(ADMIN).get("/api/v1/auth/users", params={"role": "operator"}).json()
    assert {u["username"] for u in operators["items"]} == {OPERATOR48, OPERATOR01}


def test_admin_creates_and_changes_a_user(client_as: ClientFactory) -> None:
    admin = client_as(ADMIN48)
    body = {
        "username": "tran.binh",
        "password": NEW_PASSWORD,
        "role": "operator",
        "full_name": "Trần Bình",
        "scope_unit_code": "48",
    }
    r = admin.post("/api/v1/auth/users", json=body)
    assert r.status_code == 201, r.text
    assert r.json()["username"] == "tran.binh"
    assert r.json()["scope_unit_name"]
    problem(admin.post("/api/v1/auth/users", json=body), 409, "user_exists")
    weak = {**body, "username": "weak.one", "password": "1234567890"}
    assert problem(admin.post("/api/v1/auth/users", json=weak), 422, "weak_password")["errors"]
    problem(
        admin.post("/api/v1/auth/users", json={**body, "role": "king"}), 422, "validation_error"
    )
    r = admin.patch("/api/v1/auth/users/tran.binh", json={"role": "leader", "is_active": False})
    assert r.status_code == 200, r.text
    assert r.json()["role"] == "leader"
    assert r.json()["is_active"] is False
    assert admin.get("/api/v1/auth/users/tran.binh").json()["role"] == "leader"
    problem(admin.get("/api/v1/auth/users/nobody"), 404, "user_not_found")


def test_deactivating_a_user_ends_their_sessions(client_as: ClientFactory) -> None:
    operator = client_as(OPERATOR48)
    assert operator.get("/api/v1/auth/me").status_code == 200
    r = client_as(ADMIN).patch(f"/api/v1/auth/users/{OPERATOR48}", json={"is_active": False})
    assert r.status_code == 200, r.text
    problem(operator.get("/api/v1/auth/me"), 401, "not_authenticated")


def test_cookie_requests_need_the_csrf_token(client_as: ClientFactory) -> None:
    admin = client_as(ADMIN)
    token = admin.headers.pop("X-CSRF-Token")
    body = {
        "username": "csrf.test",
        "password": NEW_PASSWORD,
        "role": "citizen",
        "scope_unit_code": "48",
    }
    problem(admin.post("/api/v1/auth/users", json=body), 403, "csrf_failed")
    problem(
        admin.post("/api/v1/auth/users", json=body, headers={"X-CSRF-Token": token + "x"}),
        403,
        "csrf_failed",
    )
    problem(
        admin.patch(f"/api/v1/auth/users/{OPERATOR48}", json={"full_name": "x"}),
        403,
        "csrf_failed",
    )
    assert admin.get("/api/v1/auth/users").status_code == 200  # safe methods need no token
    r = admin.post("/api/v1/auth/users", json=body, headers={"X-CSRF-Token": token})
    assert r.status_code == 201, r.text


def test_api_keys_lifecycle(client_as: ClientFactory, live_server: Any) -> None:
    admin = client_as(ADMIN48)
    r = admin.post(
        "/api/v1/auth/api-keys",
        json={"name": "Trạm quan trắc", "role": "admin", "scope_unit_code": "48"},
    )
    assert r.status_code == 201, r.text
    created = r.json()
    token = created["token"]
    assert token.startswith(created["prefix"] + "_")
    assert created["active"]
    listed = admin.get("/api/v1/auth/api-keys").json()
    assert created["prefix"] in {k["prefix"] for k in listed["items"]}
    assert token not in str(listed)

    with live_server.client() as machine:
        me = machine.get("/api/v1/auth/me", headers=bearer(token)).json()
        assert (me["kind"], me["name"], me["role"]) == ("api_key", created["prefix"], "admin")
        assert me["csrf_token"] is None
        # keys are not subject to CSRF: no token, no cookie, still allowed
        body = {
            "username": "from.key",
            "password": NEW_PASSWORD,
            "role": "operator",
            "scope_unit_code": "48",
        }
        r = machine.post("/api/v1/auth/users", json=body, headers=bearer(token))
        assert r.status_code == 201, r.text
        r = admin.delete(f"/api/v1/auth/api-keys/{created['prefix']}")
        assert r.status_code == 204, r.text
        problem(machine.get("/api/v1/auth/me", headers=bearer(token)), 401, "invalid_api_key")
        r = machine.get("/api/v1/auth/me", headers=bearer("dh_nope"))
        assert problem(r, 401, "invalid_api_key")
        assert r.headers["www-authenticate"] == "Bearer"
    problem(admin.delete("/api/v1/auth/api-keys/dh_00000000"), 404, "api_key_not_found")


def test_keys_narrowed_to_actions(live_server: Any, database: Database) -> None:
    token = api_key_for(database, role=Role.ADMIN, scope=None, actions=["units.read"])
    with live_server.client(headers=bearer(token)) as machine:
        problem(machine.get("/api/v1/auth/users"), 403, "forbidden")
        problem(machine.get("/api/v1/auth/me"), 403, "forbidden")
    full = api_key_for(database, role=Role.ADMIN, scope=None)
    with live_server.client(headers=bearer(full)) as machine:
        assert machine.get("/api/v1/auth/users").status_code == 200


def test_audit_listing_filters(client_as: ClientFactory) -> None:
    admin = client_as(ADMIN)
    r = admin.patch(f"/api/v1/auth/users/{OPERATOR48}", json={"full_name": "Đổi Tên"})
    assert r.status_code == 200
    page = admin.get("/api/v1/auth/audit", params={"actor": ADMIN, "table": "users"}).json()
    assert set(page) == {"items", "total", "limit", "offset"}
    update = next(e for e in page["items"] if e["action"] == "update")
    assert update["actor"] == "user:admin"
    assert update["ip"] == "127.0.0.1"
    assert update["after"] == {"full_name": "Đổi Tên"}
    assert update["before"] == {"full_name": "Nguyễn Văn Vận Hành"}
    logins = admin.get("/api/v1/auth/audit", params={"action": "login"}).json()
    assert logins["total"] >= 1
    assert all(e["action"] == "login" for e in logins["items"])
    future = admin.get("/api/v1/auth/audit", params={"since": "2999-01-01T00:00:00+07:00"})
    assert future.json()["total"] == 0
    # an admin scoped to 48 does not see what the installation-wide admin did
    scoped = client_as(ADMIN48).get("/api/v1/auth/audit", params={"actor": ADMIN}).json()
    assert scoped["total"] == 0
