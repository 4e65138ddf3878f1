"""Dashboards in Chromium: the overview shows the API's numbers and drills down by a click
on the ranking or the table, the wall rotates full screen, a phone reads one column, and a
value written through the API reaches an open dashboard within two seconds, no reload.

Screenshots (1920×1080 and 390×844) are saved to ``test-artifacts/screenshots/`` for review.
``live_server`` is requested before ``browser_page`` in every test so that the browser (and
its open event stream) closes before the server stops.
"""

from __future__ import annotations

import re
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from dieuhanh.components.socioeconomic import demo
from dieuhanh.core.db import Database
from dieuhanh.core.periods import Period
from dieuhanh.domains.auth import service as auth_service
from tests.browser.test_shell import sign_in
from tests.fixtures.app import LiveServer
from tests.fixtures.auth import ADMIN, LEADER48, OPERATOR48, ClientFactory
from tests.fixtures.browser import PageProblems

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
SINCE = Period.for_month(2025, 1)  # enough for the charts, the year to date and last year
BOARD = "kinh-te-xa-hoi"
HOME = "tong-quan"
WIDE = {"width": 1920, "height": 1080}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def demo_data(database: Database) -> None:
    with database.transaction() as db:
        demo.generate(
            db=db, actor=auth_service.system_actor("demo"), home_province="48", since=SINCE
        )


def shot(page: Page, name: str, *, full_page: bool = False) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)


def board(page: Page) -> dict[str, Any]:
    """The data the page was rendered from (its JSON block)."""
    data: dict[str, Any] = page.evaluate(
        "JSON.parse(document.getElementById('dash-data').textContent)"
    )
    return data


def api_data(page: Page, server: LiveServer, code: str, **params: str) -> dict[str, Any]:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    r = page.request.get(f"{server.url}/api/v1/dashboards/{code}/data?{query}")
    assert r.ok, r.text()
    data: dict[str, Any] = r.json()
    return data


def kpi_texts(data: dict[str, Any]) -> dict[str, str]:
    return {
        w["id"]: w["data"]["value_text"]
        for w in data["widgets"]
        if w["type"] == "kpi" and w["data"]
    }


def shown_kpis(page: Page) -> dict[str, str]:
    found: dict[str, str] = page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('[data-type=kpi]')].map(
            (el) => [el.dataset.widget,
                     el.querySelector('[data-testid=kpi-value]').textContent]))"""
    )
    return found


def ready(page: Page) -> None:
    expect(page.get_by_test_id("dash-grid")).to_have_attribute("data-ready", "1")


def test_overview_shows_the_apis_numbers_and_drills_down(
    live_server: LiveServer, demo_data: None, browser_page: Page, page_problems: PageProblems
) -> None:
    page = browser_page
    page.set_viewport_size(WIDE)
    sign_in(page, live_server, LEADER48)
    expect(page.get_by_test_id("home-title")).to_have_text("Thành phố Đà Nẵng")
    ready(page)
    data = board(page)
    expected = kpi_texts(api_data(page, live_server, HOME, unit="48", period=data["period"]))
    assert len(expected) == 8
    assert shown_kpis(page) == expected
    ranking = page.locator("[data-widget$='poverty-ranking'] .w-chart")
    expect(ranking.locator("svg")).to_be_attached()
    expect(page.locator("[data-widget$='population-map'] .w-chart svg")).to_be_attached()
    expect(page.locator("[data-widget$='budget-trend'] .w-chart svg")).to_be_attached()
    shot(page, "overview-1920x1080")

    # a click on the first bar of the ranking opens the overview of that ward
    rows = next(w for w in data["widgets"] if w["id"].endswith("poverty-ranking"))["data"]["rows"]
    first = rows[0]
    point = ranking.evaluate(
        "(el, v) => echarts.getInstanceByDom(el).convertToPixel({seriesIndex: 0}, [v / 2, 0])",
        first["value"],
    )
    ranking.scroll_into_view_if_needed()
    box = ranking.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + point[0], box["y"] + point[1])
    expect(page).to_have_url(re.compile(rf"/dashboards/{HOME}\?unit={first['unit']['code']}&"))
    ready(page)
    crumbs = page.get_by_test_id("dash-crumbs")
    expect(crumbs.get_by_role("link", name="Thành phố Đà Nẵng")).to_be_visible()
    expect(crumbs).to_contain_text(first["unit"]["name"])

    # the table of a dashboard: a row opens that unit's dashboard, the breadcrumbs lead back
    page.goto(f"{live_server.url}/dashboards/{BOARD}")
    ready(page)
    row = page.locator("[data-widget=communes] tbody tr").first
    code = row.get_attribute("data-code")
    name = row.locator("th a").inner_text()
    row.locator("th a").click()
    expect(page).to_have_url(re.compile(rf"/dashboards/{BOARD}\?unit={code}&"))
    expect(page.get_by_test_id("dash-title")).to_contain_text(name)
    ready(page)
    page.get_by_test_id("dash-crumbs").get_by_role("link", name="Thành phố Đà Nẵng").click()
    expect(page).to_have_url(re.compile(rf"/dashboards/{BOARD}\?unit=48&"))
    ready(page)
    assert shown_kpis(page) == kpi_texts(
        api_data(page, live_server, BOARD, unit="48", period=board(page)["period"])
    )
    # the period picker: back one month, then the quarter
    before = board(page)["period"]
    page.get_by_test_id("period-prev").click()
    ready(page)
    assert board(page)["period"] == str(Period.parse(before).previous())
    page.get_by_test_id("period-picker").get_by_role("link", name="Quý").click()
    ready(page)
    assert re.fullmatch(r"\d{4}Q[1-4]", board(page)["period"])
    shot(page, "dashboard-quarter-1920x1080")
    assert page_problems.all() == []


def test_switching_to_the_decree09_reporting_period(
    live_server: LiveServer, demo_data: None, browser_page: Page, page_problems: PageProblems
) -> None:
    page = browser_page
    page.set_viewport_size(WIDE)
    sign_in(page, live_server, LEADER48)
    expect(page.get_by_test_id("home-title")).to_be_visible()
    page.goto(f"{live_server.url}/dashboards/{BOARD}?calendar=calendar")
    ready(page)
    plain = board(page)
    assert plain["calendar"] == "calendar"
    expect(page.get_by_test_id("period-label")).to_have_text(re.compile(r"^Tháng \d{1,2}/\d{4}$"))
    switch = page.get_by_test_id("calendar-switch")
    expect(switch.locator("[aria-current]")).to_have_text("Lịch thường")
    switch.get_by_role("link", name="Kỳ báo cáo NĐ 09").click()
    ready(page)
    data = board(page)
    assert data["calendar"] == "decree09"
    first = date.fromisoformat(data["period_window"]["first"])
    last = date.fromisoformat(data["period_window"]["last"])
    assert (first.day, last.day) == (15, 14)
    window = f"({first:%d/%m/%Y} – {last:%d/%m/%Y})"
    expect(page.get_by_test_id("period-label")).to_have_text(re.compile(re.escape(window) + "$"))
    expect(switch.locator("[aria-current]")).to_have_text("Kỳ báo cáo NĐ 09")
    # the tiles the script drew show the API's numbers for that calendar and period
    expected = kpi_texts(
        api_data(page, live_server, BOARD, unit="48", period=data["period"], calendar="decree09")
    )
    assert shown_kpis(page) == expected
    expect(page.locator("[data-widget=cpi] .w-kpi-period")).to_contain_text(window)
    # a year-to-date tile: from 15 December of the year before
    expect(page.locator("[data-widget=retail] .w-kpi-period")).to_contain_text(
        f"(15/12/{int(data['period'][:4]) - 1} – {last:%d/%m/%Y})"
    )
    shot(page, "dashboard-decree09-1920x1080")
    # the previous period stays in the Decree-09 calendar
    page.get_by_test_id("period-prev").click()
    ready(page)
    before = board(page)
    assert (before["calendar"], before["period"]) == (
        "decree09",
        str(Period.parse(data["period"]).previous()),
    )
    assert page_problems.all() == []


def test_wall_rotates_full_screen(
    live_server: LiveServer,
    demo_data: None,
    browser_page: Page,
    page_problems: PageProblems,
    client_as: ClientFactory,
) -> None:
    playlist = {
        "code": "kiem-thu",
        "name": "Kiểm thử",
        "items": [{"dashboard": HOME, "seconds": 5}, {"dashboard": BOARD, "seconds": 5}],
    }
    saved = client_as(ADMIN).put("/api/v1/wall/playlists/kiem-thu", json=playlist)
    assert saved.status_code == 200, saved.text
    page = browser_page
    page.set_viewport_size(WIDE)
    sign_in(page, live_server, LEADER48)
    expect(page.get_by_test_id("home-title")).to_be_visible()
    page.goto(f"{live_server.url}/wall?playlist=kiem-thu")
    grid = page.get_by_test_id("dash-grid")
    expect(grid).to_have_attribute("data-ready", "1")
    expect(page.get_by_test_id("wall-title")).to_have_text("Tổng quan")
    expect(page.get_by_test_id("wall-unit")).to_have_text("Thành phố Đà Nẵng")
    expect(page.get_by_test_id("wall-clock")).to_have_text(re.compile(r"\d{2}:\d{2}:\d{2}"))
    expect(page.get_by_test_id("data-until")).to_contain_text("số liệu đến ngày")
    expected = kpi_texts(api_data(page, live_server, HOME))
    assert shown_kpis(page) == expected
    assert page.locator(".topbar").count() == 0
    # legible across a room: the numbers are large
    size = page.locator("[data-testid=kpi-value]").first.evaluate(
        "(el) => parseFloat(getComputedStyle(el.parentNode).fontSize)"
    )
    assert size >= 48
    shot(page, "wall-1920x1080")
    # no mouse needed: the pointer hides after three quiet seconds, the next item comes
    expect(page.locator("body")).to_have_class(re.compile(r"\bidle\b"), timeout=5000)
    expect(grid).to_have_attribute("data-item", "1", timeout=8000)
    expect(page.get_by_test_id("wall-title")).to_have_text("Kinh tế - xã hội")
    expect(grid.locator("[data-widget=retail] [data-testid=kpi-value]")).to_have_text(
        kpi_texts(api_data(page, live_server, BOARD))["retail"]
    )

    page.goto(f"{live_server.url}/wall/2")
    expect(page.get_by_test_id("dash-grid")).to_have_attribute("data-ready", "1")
    # without ?playlist= the first stored playlist plays; nothing is pinned to screen 2
    expect(page.get_by_test_id("wall-title")).to_have_text("Tổng quan")
    assert "Màn hình 2" in page.title()
    shot(page, "wall-screen-2-1920x1080")
    assert page_problems.all() == []


def test_phone_reads_one_column(
    live_server: LiveServer, demo_data: None, browser_page: Page, page_problems: PageProblems
) -> None:
    page = browser_page
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, LEADER48)
    expect(page.get_by_test_id("home-title")).to_be_visible()
    ready(page)
    for path, name in (("/", "overview"), (f"/dashboards/{BOARD}", "dashboard")):
        if path != "/":
            page.goto(live_server.url + path)
            ready(page)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{path} overflows at 390 px ({width} px)"
        columns = page.evaluate(
            """() => [...new Set([...document.querySelectorAll('.widget')].map(
                (el) => Math.round(el.getBoundingClientRect().left) + ':' +
                        Math.round(el.getBoundingClientRect().width)))]"""
        )
        assert len(columns) == 1, columns  # every widget in the same single column
        value = page.locator("[data-testid=kpi-value]").first
        expect(value).to_be_visible()
        assert value.evaluate("(el) => el.getBoundingClientRect().right") <= PHONE["width"]
        shot(page, f"{name}-390x844")
        shot(page, f"{name}-390x844-full", full_page=True)
    assert page_problems.all() == []


def test_a_value_written_reaches_the_open_dashboard_within_two_seconds(
    live_server: LiveServer,
    demo_data: None,
    browser_page: Page,
    page_problems: PageProblems,
    client_as: ClientFactory,
) -> None:
    page = browser_page
    page.set_viewport_size(WIDE)
    sign_in(page, live_server, LEADER48)
    expect(page.get_by_test_id("home-title")).to_be_visible()
    page.goto(f"{live_server.url}/dashboards/{BOARD}")
    ready(page)
    expect(page.locator("html")).to_have_attribute("data-live", "open")
    expect(page.get_by_test_id("live-status")).to_be_hidden()
    page.evaluate("window.__notReloaded = true")
    period = board(page)["period"]
    tile = page.locator("[data-widget=budget] [data-testid=kpi-value]")
    before = tile.inner_text()

    operator = client_as(OPERATOR48)
    written = operator.post(
        "/api/v1/indicators/data",
        json={
            "rows": [
                {"indicator": "BUDGET_REVENUE", "unit": "48", "period": period, "value": 98765}
            ]
        },
        headers={"Idempotency-Key": f"live-{uuid.uuid4()}"},
    )
    assert written.status_code == 201, written.text
    expect(tile).not_to_have_text(before, timeout=2000)
    after = kpi_texts(api_data(page, live_server, BOARD, unit="48", period=period))["budget"]
    assert after != before
    expect(tile).to_have_text(after)
    # the feed widget lists the write too
    expect(page.locator("[data-widget=feed] .w-feed")).to_contain_text("BUDGET_REVENUE")
    assert page.evaluate("window.__notReloaded") is True
    assert page_problems.all() == []
