"""Units pages: the home province in Vietnamese, and the before/after-2025 view of a commune."""

from __future__ import annotations

import re

import httpx

from tests.fixtures.auth import OPERATOR01, ClientFactory

HTML = {"Accept": "text/html"}


def section(html: str, testid: str) -> str:
    match = re.search(rf'<section data-testid="{testid}">(.*?)</section>', html, re.S)
    assert match, f"no {testid} section"
    return match.group(1)


def rows(html: str) -> dict[str, str]:
    """data-code → the row's text (tags stripped, whitespace collapsed)."""
    found = re.findall(r'<tr data-code="([^"]+)">(.*?)</tr>', html, re.S)
    return {code: " ".join(re.sub(r"<[^>]+>", " ", body).split()) for code, body in found}


def test_home_province_page_is_vietnamese(client: httpx.Client) -> None:
    r = client.get("/units", headers=HTML)
    assert r.status_code == 200
    html = r.text
    assert '<html lang="vi">' in html
    assert "<h1>Thành phố Đà Nẵng" in html
    assert "Xã, phường, đặc khu" in html
    assert "Cơ quan cấp tỉnh" in html
    assert 'data-testid="commune-count">Số đơn vị cấp xã tìm thấy: 94<' in html
    assert "Sở Y tế thành phố Đà Nẵng" in html
    merged = re.search(r'data-testid="merged-from">(.*?)</ul>', html, re.S)
    assert merged
    assert "Tỉnh Quảng Nam" in merged.group(1)
    assert "Thành phố Đà Nẵng" in merged.group(1)
    assert '<svg class="map-outline"' in html
    assert '<path d="M' in html
    assert 'href="/units/20194?hierarchy=2025">Phường Hải Vân</a>' in html


def test_commune_filter_ignores_accents(client: httpx.Client) -> None:
    full = client.get("/units", params={"q": "hai van"}, headers=HTML).text
    assert "Số đơn vị cấp xã tìm thấy: 1<" in full
    assert "Phường Hải Vân" in full
    fragment = client.get("/units", params={"q": "HOI AN"}, headers={**HTML, "HX-Request": "true"})
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert 'id="commune-list"' in fragment.text
    assert {"Phường Hội An", "Phường Hội An Đông", "Phường Hội An Tây"} <= set(
        re.findall(r">(Phường Hội An[^<]*)</a>", fragment.text)
    )
    none = client.get("/units", params={"q": "zzzz"}, headers=HTML).text
    assert "Không có đơn vị cấp xã nào khớp với từ khóa." in none


def test_english_page(client: httpx.Client) -> None:
    client.cookies.set("dh_lang", "en")
    html = client.get("/units", headers=HTML).text
    assert '<html lang="en">' in html
    # macros imported "with context" translate too (the badge lives in a macro)
    assert "Since 1 July 2025" in html
    assert "Từ 01/07/2025" not in html
    assert "Communes, wards and special zones" in html
    assert "Communes found: 94<" in html


def test_da_nang_commune_shows_its_legacy_communes(client: httpx.Client) -> None:
    r = client.get("/units/20194", params={"hierarchy": "2025"}, headers=HTML)
    assert r.status_code == 200
    html = r.text
    assert "<h1>Phường Hải Vân" in html
    crumbs = re.search(r'data-testid="breadcrumbs">(.*?)</nav>', html, re.S)
    assert crumbs
    assert "Thành phố Đà Nẵng" in crumbs.group(1)
    before = section(html, "before")
    assert "Trước 01/07/2025: được hình thành từ" in before
    found = rows(before)
    assert set(found) == {"20293", "20194", "20195", "20296"}
    assert "Xã Hòa Bắc" in found["20293"]
    assert "Huyện Hòa Vang" in found["20293"]
    assert "Phường Hòa Hiệp Bắc" in found["20194"]
    assert "Quận Liên Chiểu" in found["20194"]
    assert "Phường Hòa Hiệp Nam" in found["20195"]
    assert "Quận Liên Chiểu" in found["20195"]
    assert "Xã Hòa Liên" in found["20296"]
    assert "Chia tách" in found["20296"]
    assert "chỉ một phần" in found["20296"]
    assert "50 %" in found["20296"]
    assert "chỉ một phần" not in found["20293"]
    assert "100 %" in found["20293"]
    assert all("Thành phố Đà Nẵng" in text for text in found.values())
    agencies = section(html, "agencies")
    assert "Ủy ban nhân dân phường Hải Vân" in agencies
    assert 'href="/units/20296?hierarchy=legacy"' in before


def test_commune_formed_from_quang_nam(client: httpx.Client) -> None:
    html = client.get("/units/20410", headers=HTML).text  # Phường Hội An, today's map
    found = rows(section(html, "before"))
    assert set(found) == {"20398", "20404", "20410", "20425", "20428"}
    assert all("Tỉnh Quảng Nam" in t and "Thành phố Hội An" in t for t in found.values())
    assert "Phường Minh An" in found["20398"]
    assert "Xã Cẩm Kim" in found["20425"]


def test_legacy_unit_shows_what_it_became(client: httpx.Client) -> None:
    html = client.get("/units/20296", params={"hierarchy": "legacy"}, headers=HTML).text
    assert "<h1>Xã Hòa Liên" in html
    assert "Trước 01/07/2025" in html
    after = section(html, "after")
    assert "Từ 01/07/2025: trở thành" in after
    found = rows(after)
    assert set(found) == {"20194", "20197"}
    assert "Phường Hải Vân" in found["20194"]
    assert "50 %" in found["20194"]
    assert "✓" in found["20197"]
    assert "✓" not in found["20194"]
    province = client.get("/units/49", params={"hierarchy": "legacy"}, headers=HTML).text
    assert "Thành phố Đà Nẵng" in section(province, "after")
    assert "Thành phố Hội An" in section(province, "children")


def test_unknown_unit_page(client: httpx.Client) -> None:
    r = client.get("/units/99999", headers=HTML)
    assert r.status_code == 404
    assert 'data-code="unit_not_found"' in r.text
    assert "Đơn vị hành chính không tồn tại" in r.text


def test_scoped_user_is_sent_to_their_own_province(client_as: ClientFactory) -> None:
    hanoi = client_as(OPERATOR01)
    r = hanoi.get("/units", headers=HTML, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/units/01?hierarchy=2025"
    page = hanoi.get("/units/01", params={"hierarchy": "2025"}, headers=HTML)
    assert page.status_code == 200
    assert "<h1>Thành phố Hà Nội" in page.text
    assert hanoi.get("/units/48", headers=HTML).status_code == 403
