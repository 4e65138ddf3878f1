"""Tile server settings: a wrong template is refused at start-up with a message that says
what is expected, never discovered later as grey squares on every map."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from dieuhanh.core.settings import (
    DEFAULT_TILE_ATTRIBUTION,
    DEFAULT_TILE_MAX_ZOOM,
    Settings,
    tile_origin,
)


def test_no_tile_server_by_default() -> None:
    s = Settings()
    assert s.tile_url is None
    assert s.tile_attribution == DEFAULT_TILE_ATTRIBUTION == "© OpenStreetMap contributors"
    assert s.tile_max_zoom == DEFAULT_TILE_MAX_ZOOM == 18


@pytest.mark.parametrize(
    "url",
    [
        "http://tiles.local/{z}/{x}/{y}.png",
        "https://tiles.danang.gov.vn:8443/osm/{z}/{x}/{y}.png",
        "http://10.0.0.5/tiles/{z}/{y}/{x}.webp?style=light",  # TMS-like order is allowed
        "http://tiles.local/{z}/{x}/{y}{r}.png",  # Leaflet's retina suffix
    ],
)
def test_accepts_xyz_templates(url: str) -> None:
    assert Settings(tile_url=url).tile_url == url


def test_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIEUHANH_TILE_URL", "  http://tiles.local/{z}/{x}/{y}.png ")
    monkeypatch.setenv("DIEUHANH_TILE_ATTRIBUTION", "© Sở TT&TT Đà Nẵng")
    monkeypatch.setenv("DIEUHANH_TILE_MAX_ZOOM", "16")
    s = Settings()
    assert s.tile_url == "http://tiles.local/{z}/{x}/{y}.png"  # surrounding spaces dropped
    assert s.tile_attribution == "© Sở TT&TT Đà Nẵng"
    assert s.tile_max_zoom == 16


def test_an_empty_variable_means_no_tile_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIEUHANH_TILE_URL", "")
    assert Settings().tile_url is None


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("tiles.local/{z}/{x}/{y}.png", "must be an http(s) URL"),
        ("ftp://tiles.local/{z}/{x}/{y}.png", "must be an http(s) URL"),
        ("file:///srv/tiles/{z}/{x}/{y}.png", "must be an http(s) URL"),
        ("javascript:alert(1)//{z}/{x}/{y}", "must be an http(s) URL"),
        ("http://tiles.local/{z}/{x}.png", "missing {y}"),
        ("http://tiles.local/tiles.png", "missing {z}, {x}, {y}"),
        ("http://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png", "no {s} subdomains"),
        ("http://user:pw@tiles.local/{z}/{x}/{y}.png", "user names"),
        ("http://tiles.local/{z}/{x}/{y}.png; script-src *", "semicolons"),
        ("http://tiles.local/{z}/{x}/{y}.png 'unsafe-inline'", "quotes"),
        ("http://tiles.local:99999/{z}/{x}/{y}.png", "invalid port"),
    ],
)
def test_refuses_bad_templates(url: str, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(tile_url=url)
    text = str(caught.value)
    assert "DIEUHANH_TILE_URL" in text
    assert message in text
    assert "e.g. http://tiles.local/{z}/{x}/{y}.png" in text or "port" in message


def test_refuses_bad_zoom_and_attribution() -> None:
    with pytest.raises(ValidationError):
        Settings(tile_max_zoom=25)
    with pytest.raises(ValidationError):
        Settings(tile_max_zoom=-1)
    with pytest.raises(ValidationError):
        Settings(tile_attribution="")
    with pytest.raises(ValidationError):
        Settings(tile_attribution="x" * 301)


def test_tile_origin_is_scheme_host_and_port() -> None:
    assert tile_origin("https://tiles.local:8443/osm/{z}/{x}/{y}.png") == "https://tiles.local:8443"
    assert tile_origin("http://10.0.0.5/{z}/{x}/{y}.png?k=1") == "http://10.0.0.5"
