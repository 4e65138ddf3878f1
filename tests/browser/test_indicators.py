"""The indicator page in Chromium: the chart is drawn, the pickers change unit and period, the
derivation tree opens, nothing fails in the console, and a phone can read it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from dieuhanh.components.socioeconomic import demo
from dieuhanh.core.db import Database
from dieuhanh.core.periods import Period
from dieuhanh.domains.auth import service as auth_service
from tests.browser.test_shell import sign_in
from tests.fixtures.app import LiveServer
from tests.fixtures.auth import LEADER48, OPERATOR48
from tests.fixtures.browser import PageProblems

pytestmark = pytest.mark.browser

# Commune-level population and the month's budget: a year and a half of demo data suffices.
SINCE = Period.for_month(2025, 1)


@pytest.fixture
def demo_data(database: Database) -> None:
    with database.transaction() as db:
        demo.generate(
            db=db, actor=auth_service.system_actor("demo"), home_province="48", since=SINCE
        )


def _open(page: Page, server: LiveServer, path: str) -> None:
    sign_in(page, server, LEADER48)
    expect(page.get_by_test_id("home-title")).to_be_visible()
    page.goto(server.url + path)


def test_chart_pickers_and_explain(
    demo_data: None, browser_page: Page, live_server: LiveServer, page_problems: PageProblems
) -> None:
    page = browser_page
    _open(page, live_server, "/indicators/BUDGET_REVENUE")
    expect(page.get_by_test_id("indicator-title")).to_have_text(
        "Thu ngân sách nhà nước trên địa bàn"
    )
    chart = page.get_by_test_id("chart")
    expect(chart).to_have_attribute("data-ready", "1")
    expect(chart.locator("svg path").first).to_be_attached()
    expect(page.get_by_test_id("target-status")).to_be_visible()

    # a quarter instead of a month: the form submits itself and the latest quarter is chosen
    page.get_by_test_id("pick-type").select_option("quarter")
    expect(page).to_have_url(re.compile(r"period_type=quarter"))
    expect(page.get_by_test_id("pick-type")).to_have_value("quarter")
    expect(page.get_by_test_id("chart")).to_have_attribute("data-ready", "1")
    page.get_by_test_id("pick-period").select_option("2025Q3")
    expect(page).to_have_url(re.compile(r"period=2025Q3"))
    expect(page.get_by_role("heading", name="Quý III/2025")).to_be_visible()

    # the derivation tree comes when opened
    page.locator("#explain-details summary").click()
    tree = page.get_by_test_id("explain-tree")
    expect(tree).to_be_visible()
    expect(tree).to_contain_text("Thành phố Đà Nẵng")
    expect(tree).to_contain_text("Nguồn: demo")
    assert page_problems.all() == []


def test_switching_to_a_commune(
    demo_data: None, browser_page: Page, live_server: LiveServer, page_problems: PageProblems
) -> None:
    page = browser_page
    _open(page, live_server, "/indicators/POPULATION")
    expect(page.get_by_test_id("chart")).to_have_attribute("data-ready", "1")
    expect(page.get_by_test_id("unit-table")).to_be_visible()
    expect(page.get_by_test_id("coverage")).to_contain_text("xã đã báo cáo")
    page.get_by_test_id("pick-unit").select_option(label="— Phường Hải Châu")
    expect(page.get_by_test_id("unit-crumbs")).to_contain_text("Phường Hải Châu")
    expect(page.get_by_test_id("chart")).to_have_attribute("data-ready", "1")
    expect(page.get_by_test_id("unit-table")).to_have_count(0)  # a commune has no units below
    page.get_by_test_id("unit-crumbs").get_by_role("link", name="Thành phố Đà Nẵng").click()
    expect(page.get_by_test_id("unit-table")).to_be_visible()
    assert page_problems.all() == []


def test_phone_width(
    demo_data: None, browser_page: Page, live_server: LiveServer, page_problems: PageProblems
) -> None:
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    _open(page, live_server, "/indicators/POPULATION")
    expect(page.get_by_test_id("chart")).to_have_attribute("data-ready", "1")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page overflows at 390 px ({width} px)"
    assert page_problems.all() == []


def _upload(page: Page, name: str, content: str) -> None:
    page.get_by_test_id("upload-file").set_input_files(
        {"name": name, "mimeType": "text/csv", "buffer": content.encode("utf-8")}
    )
    page.get_by_test_id("upload-submit").click()


def test_upload_a_csv_then_read_the_value_history(
    browser_page: Page, live_server: LiveServer, page_problems: PageProblems
) -> None:
    page = browser_page
    sign_in(page, live_server, OPERATOR48)
    expect(page.get_by_test_id("home-title")).to_be_visible()
    page.get_by_role("navigation", name="Điều hướng chính").get_by_role(
        "link", name="Nhập số liệu"
    ).click()
    expect(page.get_by_test_id("upload-title")).to_have_text("Nhập số liệu")

    header = "indicator;unit;period;value;status\n"
    _upload(
        page, "dan-so.csv", header + "POPULATION;20194;2025;12345;\nPOPULATION;20197;2025;6789;\n"
    )
    expect(page.get_by_test_id("upload-status")).to_contain_text("Đã lưu tệp dan-so.csv.")
    expect(page.get_by_test_id("count-rows")).to_have_text("2")
    expect(page.get_by_test_id("count-inserted")).to_have_text("2")
    expect(page.get_by_test_id("count-updated")).to_have_text("0")
    # the answer carries a fresh form: a correction is a new batch, not a replay
    _upload(page, "sua.csv", header + "POPULATION;20194;2025;12400;final\n")
    expect(page.get_by_test_id("count-updated")).to_have_text("1")

    page.goto(live_server.url + "/indicators/POPULATION?unit=48&period_type=year&period=2025")
    row = page.locator("[data-testid=unit-table] tr[data-code='20194']")
    row.get_by_test_id("history-link").click()
    history = page.get_by_test_id("value-history").get_by_test_id("revisions")
    expect(history).to_be_visible()
    expect(history.locator("tr[data-current]")).to_contain_text("12.400")
    expect(history.locator("tr[data-revision='1']")).to_contain_text("12.345")
    expect(page).to_have_url(re.compile(r"/indicators/POPULATION\?"))  # htmx, no navigation
    assert page_problems.all() == []
