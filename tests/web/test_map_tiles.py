"""With a tile server configured, pages hand it to the map scripts as data attributes (the CSP
forbids inline scripts), load Leaflet, and the Content-Security-Policy allows the tile
origin's images and nothing else; without one, nothing of this is on the pages."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from dieuhanh.core.pages import build_templates, tile_attributes
from dieuhanh.core.settings import Settings
from dieuhanh.web.observability import content_security_policy
from tests.fixtures.auth import ADMIN, LEADER48, ClientFactory
from tests.fixtures.tiles import TileServer, with_tiles

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "dieuhanh" / "web" / "templates"
ATTRIBUTION = '© Sở TT&TT "Đà Nẵng" <b>'


@pytest.fixture
def settings(settings: Settings, tile_server: TileServer) -> Settings:
    return with_tiles(settings, tile_server.url, tile_attribution=ATTRIBUTION, tile_max_zoom=16)


def img_src(csp: str) -> list[str]:
    found = re.search(r"img-src ([^;]+);", csp)
    assert found, csp
    return found.group(1).split()


def test_csp_allows_the_tile_origin_for_images_only(
    client: httpx.Client, tile_server: TileServer
) -> None:
    csp = client.get("/healthz").headers["content-security-policy"]
    assert img_src(csp) == ["'self'", "data:", "blob:", tile_server.origin]
    assert csp.count(tile_server.origin) == 1  # not for scripts, styles or connections
    assert "{z}" not in csp
    assert "script-src 'self';" in csp


def test_without_tiles_nothing_is_added() -> None:
    assert img_src(content_security_policy(None)) == ["'self'", "data:", "blob:"]
    assert str(tile_attributes(None, "© OpenStreetMap contributors", 18)) == ""
    env = build_templates(TEMPLATES).env
    assert env.globals["tile_url"] is None
    assert str(env.globals["tile_attrs"]) == ""


def test_dashboard_page_hands_the_tile_server_to_its_maps(
    client_as: ClientFactory, tile_server: TileServer
) -> None:
    r = client_as(ADMIN).get("/dashboards/kinh-te-xa-hoi", params={"unit": "VN"})
    assert r.status_code == 200, r.text
    grid = re.search(r'<section class="dash-grid"[^>]*>', r.text)
    assert grid, r.text[:2000]
    tag = grid.group(0)
    assert f'data-tile-url="{tile_server.url}"' in tag
    # the attribution is text: escaped in the attribute, escaped again by the script
    assert 'data-tile-attribution="© Sở TT&amp;TT &#34;Đà Nẵng&#34; &lt;b&gt;"' in tag
    assert 'data-tile-max-zoom="16"' in tag
    order = [
        r.text.index(s)
        for s in (
            "/static/vendor/leaflet/leaflet.css",
            "/static/css/maps.css",
            "/static/vendor/echarts/echarts.min.js",
            "/static/vendor/leaflet/leaflet.js",
            "/static/js/dashboard-map.js",
            "/static/js/dashboard.js",
        )
    ]
    assert order == sorted(order)


def test_home_and_unit_pages_draw_outlines_over_tiles(
    client_as: ClientFactory, tile_server: TileServer
) -> None:
    leader = client_as(LEADER48)
    home = leader.get("/")
    assert home.status_code == 200, home.text
    outline = re.search(r'<div class="map-outline"[^>]*>', home.text)
    assert outline, home.text[:2000]
    assert f'data-tile-url="{tile_server.url}"' in outline.group(0)
    assert 'data-geojson="/api/v1/units/48/boundary"' in outline.group(0)
    assert "/static/vendor/leaflet/leaflet.js" in home.text
    assert "/static/js/unit-map.js" in home.text

    unit = leader.get("/units/48", params={"hierarchy": "2025"})
    assert unit.status_code == 200, unit.text
    holder = re.search(r'<div class="map-outline" data-testid="outline-map"[^>]*>', unit.text)
    assert holder, unit.text[:3000]
    assert 'data-geojson="/api/v1/units/48/boundary?hierarchy=2025"' in holder.group(0)
    assert f'data-tile-url="{tile_server.url}"' in holder.group(0)
    # the server-drawn outline stays inside, for the moment before the script and without it
    assert '<svg class="map-outline"' in unit.text[holder.end() :]
    assert "/static/js/unit-map.js" in unit.text
    boundary = leader.get("/api/v1/units/48/boundary", params={"hierarchy": "2025"})
    assert boundary.status_code == 200
    assert boundary.json()["geometry"]["type"] in ("Polygon", "MultiPolygon")


def test_map_assets_are_served_from_our_origin(client: httpx.Client) -> None:
    for path in (
        "/static/vendor/leaflet/leaflet.js",
        "/static/vendor/leaflet/leaflet.css",
        "/static/vendor/leaflet/images/marker-icon.png",
        "/static/vendor/leaflet/images/layers.png",
        "/static/css/maps.css",
        "/static/js/dashboard-map.js",
        "/static/js/unit-map.js",
    ):
        r = client.get(path)
        assert r.status_code == 200, path
        assert len(r.content) > 100, path
