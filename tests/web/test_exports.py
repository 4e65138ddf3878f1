"""Dashboards as PNG and PDF, printed by the system Chromium from the live page with the
requester's own session (so out-of-scope units are refused before anything is drawn)."""

from __future__ import annotations

import io
import struct

from pypdf import PdfReader

from tests.fixtures.auth import ADMIN48, OPERATOR01, ClientFactory

BASE = "/api/v1/dashboards/kinh-te-xa-hoi"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_dashboard_png_and_pdf(client_as: ClientFactory) -> None:
    client = client_as(ADMIN48)
    png = client.get(f"{BASE}/export.png", params={"period": "2026-10", "width": 1280})
    assert png.status_code == 200, png.text
    assert png.headers["content-type"] == "image/png"
    assert 'filename="kinh-te-xa-hoi_mac-dinh_2026-10.png"' in png.headers["content-disposition"]
    width, height = png_size(png.content)
    assert width == 1280
    assert height >= 600  # the whole page, not just the first screen
    pdf = client.get(f"{BASE}/export.pdf", params={"unit": "48", "period": "2026-10"})
    assert pdf.status_code == 200, pdf.text
    assert pdf.content.startswith(b"%PDF")
    text = " ".join(
        "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages).split()
    )
    assert "Kinh tế - xã hội" in text
    assert "Thành phố Đà Nẵng" in text


def test_export_refuses_what_the_page_refuses(client_as: ClientFactory) -> None:
    outsider = client_as(OPERATOR01)  # scoped to Hà Nội
    r = outsider.get(f"{BASE}/export.png", params={"unit": "48"})
    assert r.status_code in (403, 404)
    assert r.json()["code"] in ("out_of_scope", "unit_not_found")
    bad = client_as(ADMIN48).get(f"{BASE}/export.gif")
    assert bad.status_code == 422
    gone = client_as(ADMIN48).get("/api/v1/dashboards/khong-co/export.pdf")
    assert gone.status_code == 404
    assert gone.json()["code"] == "dashboard_not_found"
