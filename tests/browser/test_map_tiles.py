"""Maps over a tile server, in Chromium: with ``DIEUHANH_TILE_URL`` pointing at a real tile
server on 127.0.0.1 the map widget draws the child units with Leaflet over its tiles (one
polygon per unit with an outline, the choropleth's colours, legend, tooltip and drill-down),
the wall keeps it legible in the dark, the home and unit pages draw their outline over tiles,
and when the tile server fails or hangs the maps still draw, become ready and export.

Screenshots go to ``test-artifacts/screenshots/``. The maps without tiles (the default) are
tested in ``test_dashboards.py`` and ``test_shell.py``.
"""

from __future__ import annotations

import re
import struct
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from dieuhanh.components.socioeconomic import demo
from dieuhanh.core.db import Database
from dieuhanh.core.periods import Period
from dieuhanh.core.settings import Settings
from dieuhanh.domains.auth import service as auth_service
from tests.browser.test_shell import sign_in
from tests.fixtures.app import LiveServer
from tests.fixtures.auth import ADMIN, LEADER48, ClientFactory
from tests.fixtures.browser import PageProblems
from tests.fixtures.tiles import TileServer, with_tiles

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
BOARD = "kinh-te-xa-hoi"
MAP = "[data-widget='population-map'] .w-chart"
WIDE = {"width": 1920, "height": 1080}
ATTRIBUTION = "© Bản đồ nền <Sở KH&CN>"
HOVER = "#f59e0b"  # as the ECharts map's emphasis


@pytest.fixture
def settings(settings: Settings, tile_server: TileServer) -> Settings:
    return with_tiles(settings, tile_server.url, tile_attribution=ATTRIBUTION)


@pytest.fixture
def demo_data(database: Database) -> None:
    with database.transaction() as db:
        demo.generate(
            db=db,
            actor=auth_service.system_actor("demo"),
            home_province="48",
            since=Period.for_month(2025, 1),
        )


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def widget_data(page: Page, widget: str) -> dict[str, Any]:
    data: dict[str, Any] = page.evaluate(
        """(id) => JSON.parse(document.getElementById('dash-data').textContent)
             .widgets.find((w) => w.id === id).data""",
        widget,
    )
    return data


def open_nation_board(page: Page, server: LiveServer, tiles: TileServer) -> Locator:
    """The board for the whole country as the installation admin: 34 provinces with outlines.
    The tiles the home page asked for (its outline) are forgotten."""
    page.set_viewport_size(WIDE)
    sign_in(page, server, ADMIN)
    expect(page.get_by_test_id("home-title")).to_be_visible()
    expect(page.locator(".map-outline")).to_have_attribute("data-ready", "1")
    tiles.requested.clear()
    page.goto(f"{server.url}/dashboards/{BOARD}?unit=VN")
    expect(page.get_by_test_id("dash-grid")).to_have_attribute("data-ready", "1")
    chart = page.locator(MAP)
    expect(chart).to_have_attribute("data-ready", "1")
    return chart


def outline_codes(page: Page, server: LiveServer, unit: str) -> set[str]:
    r = page.request.get(f"{server.url}/api/v1/dashboards/geo/{unit}")
    assert r.ok, r.text()
    return {f["id"] for f in r.json()["features"]}


def drawn_codes(chart: Locator) -> list[str]:
    codes: list[str] = chart.evaluate(
        "(el) => [...el.querySelectorAll('path.w-map-unit')].map((p) => p.dataset.code)"
    )
    return codes


def point_inside(chart: Locator, code: str) -> tuple[float, float]:
    """A point of the page where the unit's polygon is what the mouse would touch."""
    found = chart.evaluate(
        """(el, code) => {
            const path = el.querySelector(`path[data-code="${code}"]`);
            const box = path.getBoundingClientRect();
            for (let i = 1; i < 12; i++) {
              for (let j = 1; j < 12; j++) {
                const x = box.left + (box.width * i) / 12, y = box.top + (box.height * j) / 12;
                if (document.elementFromPoint(x, y) === path) { return [x, y]; }
              }
            }
            return null;
        }""",
        code,
    )
    assert found, f"no point of {code} reachable by the mouse"
    return float(found[0]), float(found[1])


def tile_images(chart: Locator) -> list[dict[str, Any]]:
    images: list[dict[str, Any]] = chart.evaluate(
        """(el) => [...el.querySelectorAll('.leaflet-tile-pane img')].map((img) => ({
            src: img.src, loaded: img.classList.contains('leaflet-tile-loaded'),
            width: img.naturalWidth, hidden: img.style.visibility === 'hidden'}))"""
    )
    return images


def test_dashboard_map_draws_over_the_tiles(
    live_server: LiveServer,
    demo_data: None,
    tile_server: TileServer,
    browser_page: Page,
    page_problems: PageProblems,
) -> None:
    page = browser_page
    chart = open_nation_board(page, live_server, tile_server)
    expect(chart).to_have_class(re.compile(r"\bleaflet-container\b"))

    # the tiles came from the tile server, allowed by the page's CSP, and are drawn
    csp = page.request.get(f"{live_server.url}/healthz").headers["content-security-policy"]
    assert f"img-src 'self' data: blob: {tile_server.origin};" in csp
    requested = tile_server.tiles()
    assert requested, tile_server.requested
    assert len({z for z, _x, _y in requested}) == 1  # one zoom level: the fitted view
    images = tile_images(chart)
    assert images
    assert all(i["src"].startswith(tile_server.origin + "/") for i in images), images
    assert all(i["loaded"] and i["width"] == 256 for i in images), images

    # one polygon per child unit with an outline, coloured on the choropleth's scale
    codes = drawn_codes(chart)
    assert sorted(codes) == sorted(outline_codes(page, live_server, "VN"))
    assert len(codes) == 34
    d = widget_data(page, "population-map")
    colours = chart.evaluate(
        """(el, d) => d.values.map((v) => [v.code,
              el.querySelector(`path[data-code="${v.code}"]`)?.getAttribute('fill') ?? null,
              DHMap.scale(v.value, d.min, d.max)])""",
        d,
    )
    drawn = [c for c in colours if c[1] is not None]
    assert len(drawn) == 34
    assert all(fill == expected for _code, fill, expected in drawn), drawn
    danang = next(v for v in d["values"] if v["code"] == "48")
    assert danang["value"] is not None  # the demo province has its population
    assert {c[0]: c[1] for c in drawn}["48"] != "#cbd5e1"

    # the legend as on the ECharts map: min, the colour bar, max
    legend = chart.locator(".w-map-legend")
    expect(legend).to_be_visible()
    expect(legend.locator(".w-legend-bar")).to_be_visible()
    bounds = page.evaluate(
        """(d) => [d.min, d.max].map((v) => v === null ? '–' : new Intl.NumberFormat('vi-VN',
              {minimumFractionDigits: d.indicator.decimals,
               maximumFractionDigits: d.indicator.decimals}).format(v))""",
        d,
    )
    expect(legend).to_have_text(re.compile(re.escape(bounds[0]) + r"\s*" + re.escape(bounds[1])))
    # the configured credit, as text (never as markup)
    attribution = chart.locator(".leaflet-control-attribution")
    expect(attribution).to_contain_text(ATTRIBUTION)
    html = attribution.evaluate("(el) => el.innerHTML")
    assert "&lt;Sở KH&amp;CN&gt;" in html  # no <sở> element made from it

    # the tooltip names the unit and its value; the unit lights up like the ECharts one
    chart.scroll_into_view_if_needed()
    x, y = point_inside(chart, "48")
    page.mouse.move(x, y)
    expect(page.locator(".leaflet-tooltip")).to_have_text(
        f"{danang['name']}: {danang['value_text']}"
    )
    expect(chart.locator("path[data-code='48']")).to_have_attribute("fill", HOVER)
    shot(page, "map-tiles-1920x1080")

    # a click opens the same dashboard for that province
    page.mouse.click(x, y)
    expect(page).to_have_url(re.compile(rf"/dashboards/{BOARD}\?unit=48&"))
    expect(page.get_by_test_id("dash-grid")).to_have_attribute("data-ready", "1")
    assert page_problems.all() == []


def test_the_wall_shows_the_map_over_dark_tiles(
    live_server: LiveServer,
    demo_data: None,
    tile_server: TileServer,
    browser_page: Page,
    page_problems: PageProblems,
    client_as: ClientFactory,
) -> None:
    admin = client_as(ADMIN)
    # one screen of the wall: the map alone, for the whole country
    board = {
        "code": "ban-do-dan-so",
        "title_vi": "Bản đồ dân số",
        "title_en": "Population map",
        "widgets": [
            {
                "id": "population-map",
                "type": "map",
                "indicator": "POPULATION",
                "title_vi": "Dân số theo tỉnh",
                "title_en": "Population by province",
                "x": 0,
                "y": 0,
                "w": 12,
                "h": 6,
            }
        ],
    }
    created = admin.post("/api/v1/dashboards", json=board)
    assert created.status_code == 201, created.text
    playlist = {
        "code": "ban-do",
        "name": "Bản đồ",
        "items": [{"dashboard": board["code"], "unit": "VN", "seconds": 600}],
    }
    saved = admin.put("/api/v1/wall/playlists/ban-do", json=playlist)
    assert saved.status_code == 200, saved.text
    page = browser_page
    page.set_viewport_size(WIDE)
    sign_in(page, live_server, ADMIN)
    expect(page.get_by_test_id("home-title")).to_be_visible()
    page.goto(f"{live_server.url}/wall?playlist=ban-do")
    chart = page.locator(MAP)
    expect(chart).to_have_attribute("data-ready", "1")
    assert len(drawn_codes(chart)) == 34
    assert tile_server.tiles()
    assert all(i["loaded"] for i in tile_images(chart))
    # light tiles turned dark, the legend light on dark, large enough to read across a room
    tile_filter = chart.locator(".leaflet-tile-pane").evaluate(
        "(el) => getComputedStyle(el).filter"
    )
    assert "invert(1)" in tile_filter
    legend = chart.locator(".w-map-legend")
    assert legend.evaluate("(el) => getComputedStyle(el).color") == "rgb(229, 231, 235)"
    assert legend.evaluate("(el) => parseFloat(getComputedStyle(el).fontSize)") >= 16
    # no mouse on the wall: no zoom buttons, no tooltip
    assert chart.locator(".leaflet-control-zoom").count() == 0
    danang = chart.locator("path[data-code='48']")
    assert danang.evaluate("(el) => getComputedStyle(el).pointerEvents") == "none"
    box = danang.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_timeout(200)
    assert page.locator(".leaflet-tooltip").count() == 0
    shot(page, "wall-map-tiles-1920x1080")
    assert page_problems.all() == []


def test_home_and_unit_outlines_over_the_tiles(
    live_server: LiveServer,
    tile_server: TileServer,
    browser_page: Page,
    page_problems: PageProblems,
) -> None:
    page = browser_page
    sign_in(page, live_server, LEADER48)
    outline = page.locator(".map-outline")
    expect(outline).to_have_attribute("data-ready", "1")
    expect(outline).to_have_class(re.compile(r"\bleaflet-container\b"))
    expect(outline.locator("path.leaflet-interactive")).to_have_count(1)
    assert tile_server.tiles()
    assert all(i["loaded"] for i in tile_images(outline))

    before = len(tile_server.requested)
    page.goto(f"{live_server.url}/units/48?hierarchy=2025")
    holder = page.get_by_test_id("outline-map")
    expect(holder).to_have_attribute("data-ready", "1")
    expect(holder).to_have_class(re.compile(r"\bleaflet-container\b"))
    expect(holder.locator("path.leaflet-interactive")).to_have_count(1)
    expect(holder.locator("svg.map-outline")).to_have_count(0)  # the server's SVG gave way
    assert len(tile_server.requested) > before
    holder.scroll_into_view_if_needed()
    shot(page, "unit-outline-tiles")
    assert page_problems.all() == []


def test_maps_still_draw_when_the_tile_server_fails(
    live_server: LiveServer,
    demo_data: None,
    tile_server: TileServer,
    browser_page: Page,
    page_problems: PageProblems,
) -> None:
    tile_server.mode = "fail"
    chart = open_nation_board(browser_page, live_server, tile_server)
    assert len(drawn_codes(chart)) == 34
    images = tile_images(chart)
    assert images
    assert all(i["hidden"] and not i["loaded"] for i in images), images
    expect(chart.locator(".w-map-legend")).to_be_visible()
    # the only complaints are the tiles' own failed loads
    assert page_problems.page_errors == []
    assert all(e.startswith("Failed to load resource") for e in page_problems.console_errors)
    assert page_problems.failed_requests
    tile_request = re.compile(rf"GET {re.escape(tile_server.origin)}/\d+/\d+/\d+\.png ")
    assert all(tile_request.match(r) for r in page_problems.failed_requests)


def test_maps_are_ready_without_tiles_that_never_come(
    live_server: LiveServer,
    demo_data: None,
    tile_server: TileServer,
    browser_page: Page,
    page_problems: PageProblems,
) -> None:
    tile_server.mode = "hang"
    page = browser_page
    page.set_viewport_size(WIDE)
    sign_in(page, live_server, ADMIN)
    expect(page.get_by_test_id("home-title")).to_be_visible()
    page.goto(f"{live_server.url}/dashboards/{BOARD}?unit=VN")
    chart = page.locator(MAP)
    expect(chart).to_have_attribute("data-ready", "0")  # waiting for the tiles
    assert len(drawn_codes(chart)) == 34  # the outlines are there already
    expect(chart).to_have_attribute("data-ready", "1", timeout=10_000)
    assert tile_server.tiles()
    assert not any(i["loaded"] for i in tile_images(chart))
    assert page_problems.all() == []


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_exports_complete_with_tiles_and_without(
    live_server: LiveServer, demo_data: None, tile_server: TileServer, client_as: ClientFactory
) -> None:
    admin = client_as(ADMIN)
    url = f"/api/v1/dashboards/{BOARD}/export.png"
    for mode in ("ok", "fail", "hang"):
        tile_server.mode = mode  # type: ignore[assignment]
        before = len(tile_server.tiles())
        r = admin.get(url, params={"unit": "VN", "width": 1280})
        assert r.status_code == 200, (mode, r.text)
        assert png_size(r.content)[0] == 1280
        # the export's own Chromium drew the map over the tile server's tiles (or tried to)
        assert len(tile_server.tiles()) > before, mode
