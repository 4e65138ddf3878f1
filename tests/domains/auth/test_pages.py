"""Sign-in form, sign-out and the administrators' pages, as a browser would use them."""

from __future__ import annotations

import asyncio
import re

import httpx

from dieuhanh.core.settings import Settings
from dieuhanh.web.app import create_app
from tests.fixtures.app import LiveServer
from tests.fixtures.auth import (
    ADMIN,
    ADMIN48,
    OPERATOR01,
    OPERATOR48,
    TEST_PASSWORD,
    ClientFactory,
    csrf_from_html,
    login,
)

HTML = {"Accept": "text/html"}


def submit_login(
    client: httpx.Client, username: str, password: str, next_url: str = "/"
) -> httpx.Response:
    token = csrf_from_html(client.get("/login").text)
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token, "next": next_url},
        headers=HTML,
        follow_redirects=False,
    )


def test_login_page_is_vietnamese_first_with_a_csrf_cookie(client: httpx.Client) -> None:
    r = client.get("/login", headers=HTML)
    assert r.status_code == 200
    assert "Đăng nhập" in r.text
    assert "Tên đăng nhập" in r.text
    assert "Mật khẩu" in r.text
    assert 'name="csrf_token"' in r.text
    cookie = r.headers["set-cookie"]
    assert "dh_login_csrf=" in cookie
    assert "HttpOnly" in cookie
    assert "Path=/login" in cookie
    # pages stay Vietnamese for an English browser; the language switch (cookie) changes them
    assert "Tên đăng nhập" in client.get("/login", headers={**HTML, "Accept-Language": "en"}).text
    client.get("/lang/en")  # the switch sets the dh_lang cookie
    en = client.get("/login", headers=HTML)
    assert "Username" in en.text
    assert "Password" in en.text


def test_successful_login_sets_a_secure_session_cookie(client: httpx.Client) -> None:
    r = submit_login(client, OPERATOR48, TEST_PASSWORD, next_url="/units?x=1")
    assert r.status_code == 303
    assert r.headers["location"] == "/units?x=1"
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("dh_session="))
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Path=/" in cookie
    assert "Secure" not in cookie  # settings.https is off in tests
    assert "Max-Age=43200" in cookie
    page = client.get("/login", headers=HTML)  # any page shows who is signed in
    assert page.status_code == 200
    assert "Nguyễn Văn Vận Hành · Cán bộ vận hành" in page.text
    assert 'data-csrf="' in page.text
    assert 'action="/logout"' in page.text


def test_cookies_are_secure_behind_https(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"https": True}))

    async def sign_in() -> tuple[httpx.Response, httpx.Response]:
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="https://ioc.test") as c:
            page = await c.get("/login")
            form = {
                "username": OPERATOR48,
                "password": TEST_PASSWORD,
                "csrf_token": csrf_from_html(page.text),
            }
            return page, await c.post("/login", data=form)

    page, signed_in = asyncio.run(sign_in())
    assert "Secure" in page.headers["set-cookie"]
    assert signed_in.status_code == 303, signed_in.text
    cookies = signed_in.headers.get_list("set-cookie")
    session_cookie = next(c for c in cookies if c.startswith("dh_session="))
    assert "Secure" in session_cookie


def test_next_only_goes_to_local_paths(client: httpx.Client) -> None:
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        r = submit_login(client, OPERATOR48, TEST_PASSWORD, next_url=target)
        assert r.headers["location"] == "/", target


def test_failures_do_not_reveal_which_accounts_exist(client: httpx.Client) -> None:
    def normalise(r: httpx.Response) -> str:
        text = re.sub(r'name="csrf_token" value="[^"]+"', "", r.text)
        return re.sub(r'name="username" value="[^"]*"', "", text)

    wrong = submit_login(client, OPERATOR48, "not-the-password")
    ghost = submit_login(client, "ghost.user", "not-the-password")
    assert wrong.status_code == ghost.status_code == 401
    assert "Sai tên đăng nhập hoặc mật khẩu" in wrong.text
    assert normalise(wrong) == normalise(ghost)
    assert "dh_session" not in wrong.headers.get("set-cookie", "")


def test_lockout_after_repeated_failures(client: httpx.Client, settings: Settings) -> None:
    for _ in range(settings.login_max_failures):
        assert submit_login(client, OPERATOR01, "bad-password").status_code == 401
    locked = submit_login(client, OPERATOR01, TEST_PASSWORD)
    assert locked.status_code == 429
    assert 'data-code="account_locked"' in locked.text
    for _ in range(settings.login_max_failures):
        submit_login(client, "nobody.here", "bad-password")
    assert submit_login(client, "nobody.here", "bad-password").status_code == 429


def test_login_form_needs_its_csrf_token(client: httpx.Client) -> None:
    client.get("/login")
    r = client.post(
        "/login",
        data={"username": OPERATOR48, "password": TEST_PASSWORD, "csrf_token": "forged"},
        headers=HTML,
    )
    assert r.status_code == 403
    assert 'data-code="csrf_failed"' in r.text
    client.cookies.clear()
    token = csrf_from_html(client.get("/login").text)
    client.cookies.clear()  # the token without its cookie is worthless
    r = client.post(
        "/login", data={"username": OPERATOR48, "password": TEST_PASSWORD, "csrf_token": token}
    )
    assert r.status_code == 403


def replayed(live_server: LiveServer, session_cookie: str) -> int:
    """Status of ``/me`` for a fresh client that presents an old session cookie."""
    with live_server.client() as other:
        r = other.get("/api/v1/auth/me", headers={"Cookie": f"dh_session={session_cookie}"})
        return r.status_code


def test_logout_needs_csrf_and_revokes_the_session(
    client_as: ClientFactory, live_server: LiveServer
) -> None:
    user = client_as(OPERATOR48)
    session_cookie = user.cookies["dh_session"]
    token = user.headers.pop("X-CSRF-Token")
    r = user.post("/logout", data={"csrf_token": "wrong"}, headers=HTML)
    assert r.status_code == 403
    assert user.get("/api/v1/auth/me").status_code == 200
    r = user.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/login"
    assert user.get("/api/v1/auth/me").status_code == 401
    assert replayed(live_server, session_cookie) == 401  # a kept copy of the cookie is dead


def test_pages_need_the_right_role(client: httpx.Client, client_as: ClientFactory) -> None:
    r = client.get("/admin/users", headers=HTML, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=/admin/users"
    operator = client_as(OPERATOR48)
    assert operator.get("/admin/users", headers=HTML).status_code == 403
    assert operator.get("/admin/audit", headers=HTML).status_code == 403
    nav = operator.get("/login", headers=HTML).text
    assert 'href="/units"' in nav
    assert "/admin/users" not in nav
    assert "/admin/audit" not in nav


def test_admin_users_page_lists_and_creates_in_scope(client_as: ClientFactory) -> None:
    admin = client_as(ADMIN48)
    page = admin.get("/admin/users", headers=HTML)
    assert page.status_code == 200
    assert OPERATOR48 in page.text
    assert OPERATOR01 not in page.text
    form = {
        "csrf_token": csrf_from_html(page.text),
        "username": "le.hoa",
        "full_name": "Lê Hoa",
        "password": "Ngũ-Hành-Sơn-99",
        "role": "leader",
        "scope_unit_code": "48",
    }
    admin.headers.pop("X-CSRF-Token")
    r = admin.post("/admin/users", data=form, headers=HTML, follow_redirects=False)
    assert r.status_code == 303, r.text
    listed = admin.get(r.headers["location"], headers=HTML).text
    assert "le.hoa" in listed
    assert "Đã tạo tài khoản le.hoa." in listed
    outside = {**form, "username": "ha.noi", "scope_unit_code": "01"}
    r = admin.post("/admin/users", data=outside, headers=HTML)
    assert r.status_code == 403
    assert "Đơn vị này nằm ngoài phạm vi của bạn" in r.text
    assert 'value="ha.noi"' in r.text  # the form keeps what was typed
    r = admin.post("/admin/users", data={**form, "csrf_token": ""}, headers=HTML)
    assert r.status_code == 403


def test_audit_page_shows_changes(client_as: ClientFactory) -> None:
    admin = client_as(ADMIN)
    admin.patch(f"/api/v1/auth/users/{OPERATOR48}", json={"full_name": "Tên Mới"})
    page = admin.get("/admin/audit", params={"table": "users"}, headers=HTML)
    assert page.status_code == 200
    assert "Nhật ký thao tác" in page.text
    assert "user:admin" in page.text
    assert "Tên Mới" in page.text
    assert "Sửa đổi" in page.text
    filtered = admin.get(
        "/admin/audit", params={"action": "login", "date": "", "actor": ""}, headers=HTML
    )
    assert filtered.status_code == 200
    assert filtered.text.count('data-action="login"') >= 1
    assert 'data-action="update"' not in filtered.text
    assert admin.get("/admin/audit", params={"date": "2026-13-45"}).status_code == 422


def test_signing_in_again_replaces_the_session(
    client_as: ClientFactory, live_server: LiveServer
) -> None:
    user = client_as(OPERATOR48)
    first = user.cookies["dh_session"]
    assert replayed(live_server, first) == 200
    login(user, OPERATOR48)
    assert user.cookies["dh_session"] != first
    assert replayed(live_server, first) == 401
