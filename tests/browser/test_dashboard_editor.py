"""The dashboard composer and the playlist editor in Chromium: an admin composes a dashboard
from the catalog, arranges it with the keyboard-friendly buttons and saves it; errors from the
API land next to the widget they name; a concurrent save is explained; a local dashboard is
deleted; a wall playlist is edited. No page logs a console error."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_shell import sign_in
from tests.fixtures.app import LiveServer
from tests.fixtures.auth import ADMIN, ADMIN48, ClientFactory
from tests.fixtures.browser import PageProblems

pytestmark = pytest.mark.browser

CODE = "kinh-te-thu-nghiem"
PACK = "kinh-te-xa-hoi"


def _open(page: Page, server: LiveServer, path: str) -> None:
    sign_in(page, server, ADMIN)
    expect(page.get_by_test_id("home-title")).to_be_visible()
    page.goto(server.url + path)


def _pick(page: Page, query: str, code: str) -> None:
    """Search the catalog from the selected widget's editor and choose ``code``."""
    editor = page.get_by_test_id("widget-editor")
    editor.get_by_test_id("indicator-search").fill(query)
    editor.locator(f'[data-testid="pick-indicator"][data-code="{code}"]').click()
    expect(editor.get_by_test_id("chosen-indicators")).to_contain_text(code)


def test_admin_composes_a_dashboard_and_lands_on_it(
    browser_page: Page,
    live_server: LiveServer,
    page_problems: PageProblems,
    client_as: ClientFactory,
) -> None:
    page = browser_page
    _open(page, live_server, "/dashboards/new")
    expect(page.get_by_test_id("editor-title")).to_have_text("Tạo bảng điều khiển")
    page.fill("#f-code", CODE)
    page.fill("#f-title_vi", "Kinh tế thử nghiệm")
    page.fill("#f-title_en", "Economy trial")
    page.select_option("#f-reporting_calendar", "decree09")

    # a KPI tile bound to the budget revenue, found by words without accents
    page.get_by_test_id("add-type").select_option("kpi")
    page.get_by_test_id("add-widget").click()
    _pick(page, "thu ngan sach", "BUDGET_REVENUE")
    editor = page.get_by_test_id("widget-editor")
    editor.locator("#w-ytd").check()

    # a ranking of the communes by poverty rate, placed beside it, then made wider and moved
    page.get_by_test_id("add-type").select_option("ranking")
    page.get_by_test_id("add-widget").click()
    _pick(page, "ho ngheo", "POVERTY_RATE")
    editor.locator("#w-title_vi").fill("Tỷ lệ hộ nghèo")
    editor.get_by_test_id("widget-wider").click()
    editor.get_by_test_id("widget-down").click()
    editor.get_by_test_id("widget-top").fill("5")

    boxes = page.get_by_test_id("grid-box")
    expect(boxes).to_have_count(2)
    ranking = page.locator('[data-testid="grid-box"][data-id="ranking-1"]')
    expect(ranking).to_have_attribute("aria-label", "Tỷ lệ hộ nghèo: cột 3, hàng 1, 5 × 4")
    # the keyboard moves a box too: one column to the right
    ranking.focus()
    page.keyboard.press("ArrowRight")
    expect(ranking).to_have_attribute("aria-label", "Tỷ lệ hộ nghèo: cột 4, hàng 1, 5 × 4")

    page.get_by_test_id("save-dashboard").click()
    expect(page).to_have_url(live_server.url + f"/dashboards/{CODE}")

    stored: dict[str, Any] = client_as(ADMIN48).get(f"/api/v1/dashboards/{CODE}").json()
    assert stored["title_vi"] == "Kinh tế thử nghiệm"
    assert stored["origin"] == "local"
    assert stored["reporting_calendar"] == "decree09"
    widgets = {w["id"]: w for w in stored["widgets"]}
    assert widgets["kpi-1"] == {
        "id": "kpi-1",
        "type": "kpi",
        "indicator": "BUDGET_REVENUE",
        "ytd": True,
        "sparkline": 12,
        "title_vi": "",
        "title_en": "",
        "x": 0,
        "y": 0,
        "w": 3,
        "h": 2,
    }
    ranking_spec = widgets["ranking-1"]
    assert ranking_spec["indicator"] == "POVERTY_RATE"
    assert (ranking_spec["x"], ranking_spec["y"], ranking_spec["w"], ranking_spec["h"]) == (
        4,
        1,
        5,
        4,
    )
    assert (ranking_spec["top"], ranking_spec["title_vi"]) == (5, "Tỷ lệ hộ nghèo")
    assert page_problems.all() == []


def test_errors_are_shown_next_to_the_widget(
    browser_page: Page, live_server: LiveServer, page_problems: PageProblems
) -> None:
    page = browser_page
    _open(page, live_server, "/dashboards/new")
    page.fill("#f-code", "kinh-te-xa-hoi")  # the pack's: taken
    page.fill("#f-title_vi", "Trùng mã")
    page.fill("#f-title_en", "Same code")
    page.get_by_test_id("add-widget").click()  # a KPI tile without an indicator
    page.get_by_test_id("save-dashboard").click()

    editor = page.get_by_test_id("widget-editor")
    expect(editor.locator('[data-error-for="widget.indicator"]')).to_have_text(
        "Không đúng định dạng"
    )
    expect(page.locator('[data-testid="widget-item"].has-error')).to_have_count(1)
    expect(page.get_by_test_id("form-problem")).to_contain_text(
        "Vui lòng sửa các trường được đánh dấu"
    )
    _pick(page, "CPI", "CPI")
    page.get_by_test_id("save-dashboard").click()
    expect(page.locator('[data-error-for="code"]')).to_have_text(
        "Đã có bảng điều khiển với mã này; hãy chọn mã khác"
    )
    expect(page.locator("#f-code")).to_have_attribute("aria-invalid", "true")
    # 409 and 422 are answers, not faults: the console stays clean apart from the browser's
    # own line about the failed request
    assert page_problems.page_errors == []
    assert all("409" in e or "422" in e for e in page_problems.console_errors)


def test_a_concurrent_save_is_explained(
    browser_page: Page,
    live_server: LiveServer,
    page_problems: PageProblems,
    client_as: ClientFactory,
) -> None:
    page = browser_page
    _open(page, live_server, "/dashboards/kinh-te-xa-hoi/edit")
    expect(page.get_by_test_id("grid-box")).to_have_count(15)
    # another admin saves in the meantime
    other = client_as(ADMIN48)
    r = other.patch("/api/v1/dashboards/kinh-te-xa-hoi", json={"version": 1, "headline": True})
    assert r.status_code == 200, r.text
    page.fill("#f-title_vi", "Tình hình kinh tế - xã hội")
    page.get_by_test_id("save-dashboard").click()
    problem = page.get_by_test_id("form-problem")
    expect(problem).to_contain_text("Người khác đã lưu bảng điều khiển này")
    expect(problem.get_by_test_id("reload")).to_have_attribute(
        "href", "/dashboards/kinh-te-xa-hoi/edit"
    )
    assert other.get("/api/v1/dashboards/kinh-te-xa-hoi").json()["title_vi"] == "Kinh tế - xã hội"
    assert page_problems.page_errors == []


def test_a_local_dashboard_is_deleted_after_confirmation(
    browser_page: Page,
    live_server: LiveServer,
    page_problems: PageProblems,
    client_as: ClientFactory,
) -> None:
    admin = client_as(ADMIN)
    created = admin.post(
        "/api/v1/dashboards",
        json={"code": "tam-thoi", "title_vi": "Tạm thời", "title_en": "Temporary"},
    )
    assert created.status_code == 201, created.text
    page = browser_page
    _open(page, live_server, "/dashboards/tam-thoi/edit")
    expect(page.get_by_test_id("grid-preview")).to_contain_text("Lưới đang trống")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("delete-dashboard").click()
    expect(page).to_have_url(live_server.url + "/dashboards")
    assert admin.get("/api/v1/dashboards/tam-thoi").status_code == 404
    # pack dashboards have no delete button: a sync would bring them back
    page.goto(live_server.url + "/dashboards/kinh-te-xa-hoi/edit")
    expect(page.get_by_test_id("grid-box")).to_have_count(15)
    expect(page.get_by_test_id("delete-dashboard")).to_have_count(0)
    assert page_problems.all() == []


def test_a_wall_playlist_is_edited_and_saved(
    browser_page: Page,
    live_server: LiveServer,
    page_problems: PageProblems,
    client_as: ClientFactory,
) -> None:
    page = browser_page
    _open(page, live_server, "/wall/playlists")
    expect(page.get_by_test_id("default-note")).to_be_visible()
    items = page.get_by_test_id("playlist-item")
    expect(items).to_have_count(2)  # the home page and the headline dashboard
    page.get_by_test_id("add-item").click()
    expect(items).to_have_count(3)
    last = items.nth(2)
    last.locator('[data-field="dashboard"]').select_option("kinh-te-xa-hoi")
    last.locator('[data-field="unit"]').fill("20194")
    last.locator('[data-field="seconds"]').fill("45")
    last.locator('[data-field="screen"]').fill("2")
    last.locator('button[data-action="up"]').click()  # now second
    items.nth(0).locator('[data-field="seconds"]').fill("3")  # below the minimum of 5
    page.get_by_test_id("save-playlist").click()
    expect(items.nth(0).locator('[data-error-for="seconds"]')).to_have_text("Quá nhỏ")

    items.nth(0).locator('[data-field="seconds"]').fill("20")
    page.get_by_test_id("save-playlist").click()
    expect(page).to_have_url(re.compile(r"/wall/playlists\?code=mac-dinh$"))
    expect(page.get_by_test_id("default-note")).to_have_count(0)
    stored = client_as(ADMIN).get("/api/v1/wall/playlists/mac-dinh").json()
    assert stored["version"] == 1
    assert stored["items"] == [
        {"dashboard": "tong-quan", "unit": None, "seconds": 20, "screen": None},
        {"dashboard": "kinh-te-xa-hoi", "unit": "20194", "seconds": 45, "screen": 2},
        {"dashboard": "kinh-te-xa-hoi", "unit": None, "seconds": 30, "screen": None},
    ]
    assert page_problems.page_errors == []


def test_a_widget_is_dragged_to_another_cell(
    browser_page: Page, live_server: LiveServer, page_problems: PageProblems
) -> None:
    page = browser_page
    _open(page, live_server, f"/dashboards/{PACK}/edit")
    supply = page.locator('[data-testid="grid-box"][data-id="supply"]')
    expect(supply).to_have_attribute("aria-label", re.compile(r": cột 8, hàng 8, 4 × 2$"))
    supply.scroll_into_view_if_needed()
    box = supply.bounding_box()
    assert box is not None
    column = box["width"] / 4  # about one column (4 wide), a little less than the pitch
    row = box["height"] / 2
    start_x, start_y = box["x"] + 20, box["y"] + 10
    page.mouse.move(start_x, start_y)
    page.mouse.down()
    page.mouse.move(start_x - 4 * column, start_y + 2 * row, steps=8)
    page.mouse.up()
    # dropped four columns to the left and two rows down, and opened in the editor
    expect(supply).to_have_attribute("aria-label", re.compile(r": cột 4, hàng 10, 4 × 2$"))
    editor = page.get_by_test_id("widget-editor")
    expect(editor.get_by_test_id("widget-x")).to_have_value("4")
    expect(editor.get_by_test_id("widget-y")).to_have_value("10")
    assert page_problems.all() == []
