"""Annotations in Chromium: a note made through the API is a mark on the dashboard's
time-series chart with its text in the tooltip (escaped), a new one arrives on the open page
live, the wall shows the text itself in its dark theme, and the form on the indicator page
adds one, shows the API's errors at their fields and deletes with a confirmation.

``live_server`` is requested before ``browser_page`` so that the browser (and its open event
stream) closes before the server stops.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.test_shell import sign_in
from tests.fixtures.app import LiveServer
from tests.fixtures.auth import ADMIN, LEADER48, OPERATOR48, ClientFactory
from tests.fixtures.browser import PageProblems

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
NOTES = "/api/v1/indicators/BUDGET_REVENUE/annotations"
BOARD = "kinh-te-xa-hoi"
TREND = "[data-widget$='budget-trend'] .w-chart"
MONTHS = ("2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10")

# every name on the first series' markLine and markArea (areas are [start, end] pairs)
MARK_NAMES = """(el) => {
  const option = echarts.getInstanceByDom(el).getOption();
  const first = option.series[0];
  const items = [].concat((first.markLine || {}).data || [], (first.markArea || {}).data || []);
  return items.flat().map((item) => item && item.name).filter(Boolean);
}"""


@pytest.fixture
def budget(live_server: LiveServer, client_as: ClientFactory) -> None:
    """Six months of Đà Nẵng's budget revenue, so the chart has a line to annotate."""
    rows = [
        {"indicator": "BUDGET_REVENUE", "unit": "48", "period": month, "value": 2000.0 + 100 * i}
        for i, month in enumerate(MONTHS)
    ]
    written = client_as(OPERATOR48).post(
        "/api/v1/indicators/data",
        json={"rows": rows},
        headers={"Idempotency-Key": f"notes-{uuid.uuid4()}"},
    )
    assert written.status_code == 201, written.text


def add_note(client_as: ClientFactory, user: str = OPERATOR48, **fields: Any) -> dict[str, Any]:
    made = client_as(user).post(NOTES, json={"unit": "48", **fields})
    assert made.status_code == 201, made.text
    result: dict[str, Any] = made.json()
    return result


def mark_names(chart: Locator) -> list[str]:
    names: list[str] = chart.evaluate(MARK_NAMES)
    return names


def show_tip(chart: Locator, label: str) -> None:
    """Hover the period ``label`` (as the x axis shows it) without moving a real mouse."""
    chart.evaluate(
        """(el, label) => {
          const chart = echarts.getInstanceByDom(el);
          const index = chart.getOption().xAxis[0].data.indexOf(label);
          chart.dispatchAction({ type: "showTip", seriesIndex: 0, dataIndex: index });
        }""",
        label,
    )


def shot(element: Locator, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    element.scroll_into_view_if_needed()
    element.screenshot(path=str(SHOTS / f"{name}.png"))


def test_notes_show_on_the_dashboard_chart_and_arrive_live(
    live_server: LiveServer,
    budget: None,
    browser_page: Page,
    page_problems: PageProblems,
    client_as: ClientFactory,
) -> None:
    add_note(client_as, day="2026-09-18", kind="event", text_vi="Bão số 12 đổ bộ")
    add_note(client_as, day="2026-07-20", end_day="2026-08-05", text_vi="Mùa lũ")
    add_note(client_as, day="2026-06-02", text_vi="<img src=x onerror=alert(1)>")
    page = browser_page
    sign_in(page, live_server, LEADER48)
    expect(page.get_by_test_id("home-title")).to_be_visible()
    page.goto(f"{live_server.url}/dashboards/{BOARD}?unit=48&period=2026-10")
    expect(page.get_by_test_id("dash-grid")).to_have_attribute("data-ready", "1")
    chart = page.locator(TREND)
    expect(chart.locator("svg")).to_be_attached()
    assert sorted(mark_names(chart)) == sorted(
        ["Bão số 12 đổ bộ", "Mùa lũ", "<img src=x onerror=alert(1)>"]
    )
    expect(chart.locator("svg")).to_contain_text("⚑")  # the event's icon on its line

    show_tip(chart, "09/2026")
    expect(chart).to_contain_text("Sự kiện · 18/09/2026: Bão số 12 đổ bộ")
    shot(chart, "dashboard-annotations")
    show_tip(chart, "06/2026")  # people's text is shown as text, never run as markup
    expect(chart).to_contain_text("<img src=x onerror=alert(1)>")
    show_tip(chart, "08/2026")  # a span shows on each of its periods
    expect(chart).to_contain_text("Ghi chú · 20/07/2026 – 05/08/2026: Mùa lũ")

    # a new note reaches the open page through the live stream, without a reload
    page.evaluate("window.__notReloaded = true")
    add_note(client_as, day="2026-10-02", text_vi="Đẩy nhanh giải ngân")
    page.wait_for_function(
        f"([selector, text]) => ({MARK_NAMES})(document.querySelector(selector)).includes(text)",
        arg=[TREND, "Đẩy nhanh giải ngân"],
        timeout=3000,
    )
    # the feed says what changed: notes, not values
    expect(page.locator("[data-widget=feed] .w-feed")).to_contain_text(
        "Ghi chú trên biểu đồ đã thay đổi: BUDGET_REVENUE"
    )
    assert page.evaluate("window.__notReloaded") is True
    assert page_problems.all() == []


def test_the_wall_shows_the_text_in_its_dark_theme(
    live_server: LiveServer,
    budget: None,
    browser_page: Page,
    page_problems: PageProblems,
    client_as: ClientFactory,
) -> None:
    admin = client_as(ADMIN)
    board = {
        "code": "ghi-chu",
        "title_vi": "Thu ngân sách và sự kiện",
        "title_en": "Budget and events",
        "widgets": [
            {"id": "trend", "type": "timeseries", "indicators": ["BUDGET_REVENUE"], "span": 6,
             "title_vi": "Thu ngân sách theo tháng", "x": 0, "y": 0, "w": 12, "h": 4},
        ],
    }  # fmt: skip
    assert admin.post("/api/v1/dashboards", json=board).status_code == 201
    playlist = {"code": "ghi-chu", "name": "Ghi chú", "items": [{"dashboard": "ghi-chu"}]}
    assert admin.put("/api/v1/wall/playlists/ghi-chu", json=playlist).status_code == 200
    add_note(client_as, day="2026-09-18", kind="event", text_vi="Bão số 12 đổ bộ")
    page = browser_page
    page.set_viewport_size({"width": 1920, "height": 1080})
    sign_in(page, live_server, LEADER48)
    expect(page.get_by_test_id("home-title")).to_be_visible()
    page.goto(f"{live_server.url}/wall?playlist=ghi-chu")
    expect(page.get_by_test_id("dash-grid")).to_have_attribute("data-ready", "1")
    chart = page.locator("[data-widget=trend] .w-chart")
    expect(chart.locator("svg")).to_contain_text("⚑ Bão số 12 đổ bộ")  # nobody hovers a wall
    line = chart.evaluate(
        "(el) => echarts.getInstanceByDom(el).getOption().series[0].markLine.data[0]"
    )
    # a light colour and large type on the dark background, a thicker line
    assert (line["label"]["color"], line["lineStyle"]["color"]) == ("#fbbf24", "#fbbf24")
    assert line["label"]["fontSize"] >= 18
    assert line["lineStyle"]["width"] >= 2
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "wall-annotations-1920x1080.png"))
    assert page_problems.all() == []


def test_the_indicator_page_form_adds_and_deletes_a_note(
    live_server: LiveServer, budget: None, browser_page: Page, page_problems: PageProblems
) -> None:
    page = browser_page
    sign_in(page, live_server, OPERATOR48)
    expect(page.get_by_test_id("home-title")).to_be_visible()
    page.goto(
        f"{live_server.url}/indicators/BUDGET_REVENUE?unit=48&period_type=month&period=2026-10"
    )
    expect(page.get_by_test_id("chart")).to_have_attribute("data-ready", "1")
    expect(page.get_by_test_id("no-annotations")).to_be_visible()
    page.get_by_test_id("annotation-add").locator("summary").click()
    form = page.get_by_test_id("annotation-form")
    expect(form).to_be_visible()

    # the API's errors appear at their fields, in Vietnamese
    form.get_by_test_id("annotation-day-input").fill("2026-10-05")
    form.get_by_test_id("annotation-end-input").fill("2026-10-01")
    form.get_by_test_id("annotation-link-input").fill("javascript:alert(1)")
    form.get_by_test_id("annotation-submit").click()
    expect(form.locator("[data-error-for=text_vi]")).to_have_text("Hãy nhập nội dung ghi chú")
    expect(form.locator("[data-error-for=end_day]")).to_have_text(
        "Ngày kết thúc trước ngày bắt đầu"
    )
    expect(form.locator("[data-error-for=link]")).to_contain_text("Liên kết phải bắt đầu")
    expect(page.get_by_test_id("annotation-status")).to_contain_text("Chưa lưu được ghi chú")

    form.get_by_test_id("annotation-end-input").fill("")
    form.get_by_test_id("annotation-kind").select_option("event")
    form.get_by_test_id("annotation-text-input").fill("Bão số 12 đổ bộ")
    form.get_by_test_id("annotation-link-input").fill(f"/dashboards/{BOARD}")
    form.get_by_test_id("annotation-submit").click()

    # the page reloads with the note listed under the chart and marked on it
    note = page.get_by_test_id("annotation")
    expect(note).to_have_count(1)
    expect(note.get_by_test_id("annotation-text")).to_have_text("Bão số 12 đổ bộ Xem thêm")
    expect(note.get_by_test_id("annotation-day")).to_have_text("05/10/2026")
    expect(note).to_contain_text("Sự kiện")
    expect(note).to_contain_text("Nguyễn Văn Vận Hành thêm lúc")
    chart = page.get_by_test_id("chart")
    expect(chart).to_have_attribute("data-ready", "1")
    assert mark_names(chart) == ["Bão số 12 đổ bộ"]
    show_tip(chart, "10/2026")
    expect(chart).to_contain_text("Sự kiện · 05/10/2026: Bão số 12 đổ bộ")
    shot(page.get_by_test_id("annotations").locator(".."), "indicator-annotations")

    # deleting asks first; dismissing keeps the note
    page.once("dialog", lambda dialog: dialog.dismiss())
    note.get_by_test_id("annotation-delete").click()
    expect(note).to_have_count(1)
    page.once("dialog", lambda dialog: dialog.accept())
    note.get_by_test_id("annotation-delete").click()
    expect(page.get_by_test_id("no-annotations")).to_be_visible()
    expect(page.get_by_test_id("chart")).to_have_attribute("data-ready", "1")
    assert mark_names(page.get_by_test_id("chart")) == []
    # a 422 is an answer, not a fault: only the browser's own line about it is in the console
    assert page_problems.page_errors == []
    assert page_problems.failed_requests == []
    assert all("422" in e for e in page_problems.console_errors)
