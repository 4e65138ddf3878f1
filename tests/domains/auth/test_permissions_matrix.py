"""The permission matrix: one fixed user per role proves nobody reads or changes out of scope.

Two tables. ``ROLE_GRANTS`` is the expected role → action matrix, checked against
``core.security.allowed`` for every action in ``PERMISSIONS`` (a new action must be added
here, consciously). ``CASES`` are real HTTP requests by the fixed users against the live
server, including cross-scope reads and writes that must fail.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from dieuhanh.core.security import ANONYMOUS, PERMISSIONS, Actor, Role, allowed
from tests.fixtures.app import LiveServer
from tests.fixtures.auth import (
    ADMIN,
    ADMIN48,
    AGENCY48,
    CITIZEN,
    LEADER48,
    OPERATOR01,
    OPERATOR48,
    TEST_PASSWORD,
    ClientFactory,
)

ADM, LEAD, OPER, AGCY, CITZ = Role.ADMIN, Role.LEADER, Role.OPERATOR, Role.AGENCY, Role.CITIZEN

# action -> roles that hold it; anonymous visitors get only PUBLIC ones.
ROLE_GRANTS: dict[str, set[Role]] = {
    "units.read": {ADM, LEAD, OPER, AGCY, CITZ},
    "units.manage": {ADM},
    "home.view": {ADM, LEAD, OPER, AGCY, CITZ},
    "users.read": {ADM},
    "users.manage": {ADM},
    "apikeys.manage": {ADM},
    "audit.read": {ADM},
    "profile.read": {ADM, LEAD, OPER, AGCY, CITZ},
}
PUBLIC = {"units.read"}


def test_the_matrix_covers_every_auth_action() -> None:
    """A new auth action, or a changed grant, must be reviewed here as well."""
    assert set(ROLE_GRANTS) <= set(PERMISSIONS), "ROLE_GRANTS names an unknown action"
    own = {a for a in PERMISSIONS if a.startswith(("users.", "apikeys.", "audit.", "profile."))}
    assert own <= set(ROLE_GRANTS)


@pytest.mark.parametrize("action", sorted(ROLE_GRANTS))
@pytest.mark.parametrize("role", [*Role, None], ids=[*(r.value for r in Role), "anonymous"])
def test_roles_grant_exactly_the_expected_actions(role: Role | None, action: str) -> None:
    actor = ANONYMOUS if role is None else Actor(kind="user", id=1, name="x", role=role)
    expected = action in PUBLIC if role is None else role in ROLE_GRANTS[action]
    assert allowed(actor, action) is expected


@dataclass(frozen=True)
class Scope:
    scope_unit_ids: frozenset[int]


def test_scope_is_checked_against_the_resource() -> None:
    scoped = Actor(kind="user", id=1, name="x", role=ADM, scope_unit_id=48)
    wide = Actor(kind="user", id=2, name="y", role=ADM, scope_unit_id=None)
    inside = Scope(frozenset({1, 48, 4801}))
    outside = Scope(frozenset({1, 2}))
    nowhere = Scope(frozenset())
    assert allowed(scoped, "users.manage", inside)
    assert not allowed(scoped, "users.manage", outside)
    assert not allowed(scoped, "users.manage", nowhere)
    assert allowed(wide, "users.manage", outside)
    assert allowed(wide, "users.manage", nowhere)
    key = Actor(kind="api_key", id=3, name="dh_x", role=ADM, key_actions=frozenset({"units.read"}))
    assert allowed(key, "units.read")
    assert not allowed(key, "users.read")


# --- over HTTP -------------------------------------------------------------------------------

NEW_PASSWORD = "Bà-Nà-Hills-2026"


def new_user(username: str, scope: str | None, role: str = "operator") -> dict[str, Any]:
    return {"username": username, "password": NEW_PASSWORD, "role": role,
            "scope_unit_code": scope}  # fmt: skip


@dataclass(frozen=True)
class Case:
    """``user`` sends ``method path`` (with ``body``) and must get ``status`` (and ``code``)."""

    user: str  # username, or "" for an anonymous visitor
    method: str
    path: str
    status: int
    code: str | None = None
    body: dict[str, Any] | None = None
    total: int | None = None  # for lists: how many items the user may see

    def __str__(self) -> str:
        return f"{self.user or 'anonymous'} {self.method} {self.path}"


USERS = "/api/v1/auth/users"
KEYS = "/api/v1/auth/api-keys"
AUDIT = "/api/v1/auth/audit"
ME = "/api/v1/auth/me"
UNITS = "/api/v1/units"

CASES: list[Case] = [
    # anonymous visitors: public unit data only
    Case("", "GET", ME, 401, "not_authenticated"),
    Case("", "GET", USERS, 401, "not_authenticated"),
    Case("", "POST", USERS, 401, "not_authenticated", new_user("anon.x", "48")),
    Case("", "GET", KEYS, 401, "not_authenticated"),
    Case("", "GET", AUDIT, 401, "not_authenticated"),
    Case("", "GET", f"{UNITS}/01", 200),
    Case("", "GET", f"{UNITS}/48", 200),
    # citizens: their own profile and unit data of their province
    Case(CITIZEN, "GET", ME, 200),
    Case(CITIZEN, "GET", USERS, 403, "forbidden"),
    Case(CITIZEN, "GET", f"{USERS}/{CITIZEN}", 403, "forbidden"),
    Case(CITIZEN, "GET", KEYS, 403, "forbidden"),
    Case(CITIZEN, "GET", AUDIT, 403, "forbidden"),
    Case(CITIZEN, "GET", f"{UNITS}/48", 200),
    # agency officers cannot manage users
    Case(AGENCY48, "GET", USERS, 403, "forbidden"),
    Case(AGENCY48, "POST", USERS, 403, "forbidden", new_user("agency.x", "48")),
    Case(AGENCY48, "PATCH", f"{USERS}/{CITIZEN}", 403, "forbidden", {"is_active": False}),
    Case(AGENCY48, "POST", KEYS, 403, "forbidden", {"name": "k", "scope_unit_code": "48"}),
    Case(AGENCY48, "GET", AUDIT, 403, "forbidden"),
    # operators: no user data at all, unit data only inside their province
    Case(OPERATOR48, "GET", USERS, 403, "forbidden"),
    Case(OPERATOR48, "GET", f"{USERS}/{OPERATOR01}", 403, "forbidden"),
    Case(OPERATOR48, "GET", f"{UNITS}/48", 200),
    Case(OPERATOR48, "GET", f"{UNITS}/01", 403, "out_of_scope"),
    Case(OPERATOR48, "GET", f"{UNITS}/01/children", 403, "out_of_scope"),
    Case(OPERATOR48, "GET", f"{UNITS}?parent=01", 200, total=0),
    Case(OPERATOR48, "GET", f"{UNITS}?level=province", 200, total=1),
    Case(OPERATOR01, "GET", f"{UNITS}/48", 403, "out_of_scope"),
    Case(OPERATOR01, "GET", f"{UNITS}/01", 200),
    # leaders: no API keys, no users, no audit
    Case(LEADER48, "POST", KEYS, 403, "forbidden", {"name": "k", "scope_unit_code": "48"}),
    Case(LEADER48, "GET", KEYS, 403, "forbidden"),
    Case(LEADER48, "GET", USERS, 403, "forbidden"),
    Case(LEADER48, "GET", AUDIT, 403, "forbidden"),
    Case(LEADER48, "GET", f"{UNITS}/01", 403, "out_of_scope"),
    # an admin scoped to 48 manages 48 only
    Case(ADMIN48, "GET", USERS, 200),
    Case(ADMIN48, "GET", f"{USERS}/{OPERATOR48}", 200),
    Case(ADMIN48, "GET", f"{USERS}/{OPERATOR01}", 403, "out_of_scope"),
    Case(ADMIN48, "GET", f"{USERS}/{ADMIN}", 403, "out_of_scope"),
    Case(ADMIN48, "POST", USERS, 201, body=new_user("dn.moi", "48")),
    Case(ADMIN48, "POST", USERS, 403, "out_of_scope", new_user("hn.moi", "01")),
    Case(ADMIN48, "POST", USERS, 403, "out_of_scope", new_user("root.moi", None, "admin")),
    Case(ADMIN48, "PATCH", f"{USERS}/{OPERATOR01}", 403, "out_of_scope", {"full_name": "x"}),
    Case(ADMIN48, "PATCH", f"{USERS}/{OPERATOR48}", 403, "out_of_scope",
         {"scope_unit_code": "01"}),
    Case(ADMIN48, "PATCH", f"{USERS}/{OPERATOR48}", 200, body={"full_name": "Đổi"}),
    Case(ADMIN48, "POST", KEYS, 403, "out_of_scope", {"name": "k", "scope_unit_code": "01"}),
    Case(ADMIN48, "POST", KEYS, 201, body={"name": "k", "scope_unit_code": "48"}),
    Case(ADMIN48, "GET", AUDIT, 200),
    Case(ADMIN48, "GET", f"{UNITS}/01", 403, "out_of_scope"),
    # the installation-wide admin manages everything
    Case(ADMIN, "GET", f"{USERS}/{OPERATOR01}", 200),
    Case(ADMIN, "POST", USERS, 201, body=new_user("hn.moi", "01")),
    Case(ADMIN, "POST", USERS, 201, body=new_user("root.moi", None, "admin")),
    Case(ADMIN, "POST", KEYS, 201, body={"name": "k", "role": "admin"}),
    Case(ADMIN, "GET", AUDIT, 200),
    Case(ADMIN, "GET", f"{UNITS}/01", 200),
]  # fmt: skip


def run_case(client: httpx.Client, case: Case) -> str | None:
    """None when the response is what the table says; otherwise what went wrong."""
    r = client.request(case.method, case.path, json=case.body)
    got = f"{r.status_code} {r.json().get('code', '') if r.status_code >= 400 else ''}".strip()
    want = f"{case.status} {case.code or ''}".strip()
    if got != want:
        return f"{case}: expected {want}, got {got}"
    if case.total is not None and r.json()["total"] != case.total:
        return f"{case}: expected {case.total} items, got {r.json()['total']}"
    return None


@pytest.mark.parametrize("user", sorted({c.user for c in CASES}), ids=lambda u: u or "anonymous")
def test_http_matrix(user: str, live_server: LiveServer, client_as: ClientFactory) -> None:
    client = client_as(user, TEST_PASSWORD) if user else live_server.client()
    try:
        failures = [f for c in CASES if c.user == user if (f := run_case(client, c))]
    finally:
        if not user:
            client.close()
    assert failures == []
