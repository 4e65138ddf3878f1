"""Each demo role signs in through the real login page in Chromium and sees its home."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from dieuhanh.core.security import Role
from tests.fixtures.app import LiveServer
from tests.fixtures.auth import OPERATOR01, ROLE_USERS, TEST_PASSWORD
from tests.fixtures.browser import PageProblems

pytestmark = pytest.mark.browser

# Navigation each role must (True) or must not (False) see.
NAV_EXPECTED: dict[Role, dict[str, bool]] = {
    Role.ADMIN: {"Tổng quan": True, "Đơn vị hành chính": True, "Người dùng": True},
    Role.LEADER: {"Tổng quan": True, "Người dùng": False, "Nhật ký thao tác": False},
    Role.OPERATOR: {"Tổng quan": True, "Người dùng": False},
    Role.AGENCY: {"Tổng quan": True, "Người dùng": False},
    Role.CITIZEN: {"Tổng quan": True, "Người dùng": False},
}


def sign_in(page: Page, server: LiveServer, username: str) -> None:
    page.goto(server.url + "/")
    expect(page).to_have_url(re.compile(r"/login"))
    page.fill("#username", username)
    page.fill("#password", TEST_PASSWORD)
    page.click("button[type=submit]")


@pytest.mark.parametrize("role", list(Role))
def test_role_signs_in_and_sees_home(
    role: Role, browser_page: Page, live_server: LiveServer, page_problems: PageProblems
) -> None:
    page = browser_page
    sign_in(page, live_server, ROLE_USERS[role])
    expect(page).to_have_url(live_server.url + "/")
    expect(page.get_by_test_id("home-title")).to_have_text("Thành phố Đà Nẵng")
    expect(page.get_by_test_id("who")).to_be_visible()
    expect(page.get_by_test_id("tile-communes")).to_contain_text("94")
    expect(page.locator(".map-outline")).to_have_attribute("data-ready", "1")
    expect(page.locator(".map-outline svg path").first).to_be_attached()
    nav = page.locator("nav.mainnav")
    for label, visible in NAV_EXPECTED[role].items():
        if visible:
            expect(nav.get_by_role("link", name=label, exact=True)).to_be_visible()
        else:
            expect(nav.get_by_role("link", name=label, exact=True)).to_have_count(0)
    assert page_problems.all() == []


def test_operator_of_another_province_sees_that_province(
    browser_page: Page, live_server: LiveServer, page_problems: PageProblems
) -> None:
    sign_in(browser_page, live_server, OPERATOR01)
    expect(browser_page.get_by_test_id("home-title")).to_have_text("Thành phố Hà Nội")
    assert page_problems.all() == []


def test_wrong_password_stays_on_login_with_generic_message(
    browser_page: Page, live_server: LiveServer
) -> None:
    page = browser_page
    page.goto(live_server.url + "/login")
    page.fill("#username", "nobody-like-this")
    page.fill("#password", "wrong-password-123")
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.locator(".alert.error")).to_contain_text("Sai tên đăng nhập hoặc mật khẩu")


def test_english_switch_and_sign_out(
    browser_page: Page, live_server: LiveServer, page_problems: PageProblems
) -> None:
    page = browser_page
    sign_in(page, live_server, ROLE_USERS[Role.OPERATOR])
    expect(page.get_by_test_id("home-title")).to_be_visible()
    page.click("text=English")
    expect(page.locator("nav.mainnav")).to_contain_text("Overview")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.click("button:has-text('Sign out')")
    page.wait_for_load_state()
    page.goto(live_server.url + "/")
    expect(page).to_have_url(re.compile(r"/login"))
    assert page_problems.all() == []


def test_phone_width_keeps_home_readable(
    browser_page: Page, live_server: LiveServer, page_problems: PageProblems
) -> None:
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server, ROLE_USERS[Role.LEADER])
    expect(page.get_by_test_id("home-title")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page overflows horizontally at 390 px ({width} px)"
    assert page_problems.all() == []
