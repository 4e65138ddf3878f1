"""The indicator detail page: Vietnamese, numbers in Vietnamese format, chart data with gaps
and last year, plan progress, derived indicators with their formula in words, the
derivation tree, the table by commune, and scope."""

from __future__ import annotations

import html as html_lib
import json
import re
from typing import Any

import pytest

from dieuhanh.core.db import Database
from dieuhanh.domains.auth import service as auth_service
from dieuhanh.domains.indicators import service as indicators
from dieuhanh.domains.indicators.schemas import TargetIn
from tests.fixtures.auth import CITIZEN, LEADER48, OPERATOR01, ClientFactory

HTML = {"Accept": "text/html"}
ACTOR = auth_service.system_actor("page-tests")
# Two wards of Đà Nẵng (2025 map)
HAI_VAN, LIEN_CHIEU = "20194", "20197"


def _ingest(database: Database, key: str, rows: list[dict[str, Any]]) -> None:
    with database.transaction() as db:
        indicators.ingest_rows(
            db=db,
            actor=ACTOR,
            rows=[indicators.ObservationIn.model_validate(r) for r in rows],
            source="test",
            idempotency_key=key,
        )


def _obs(code: str, unit: str, period: str, value: float, **extra: Any) -> dict[str, Any]:
    return {"indicator": code, "unit": unit, "period": period, "value": value, **extra}


@pytest.fixture
def data(database: Database) -> Database:
    """Hand-made values whose page figures are worked out in the tests."""
    _ingest(
        database,
        "budget",
        [
            _obs("BUDGET_REVENUE", "48", "2025-10", 4000),
            _obs("BUDGET_REVENUE", "48", "2026-07", 4400),
            _obs("BUDGET_REVENUE", "48", "2026-09", 4500),
            _obs("BUDGET_REVENUE", "48", "2026-10", 5123.4),
        ],
    )
    # GRDP of 2025: two legacy quarters of Đà Nẵng (48) and Quảng Nam (49), two new ones
    _ingest(
        database,
        "grdp",
        [
            _obs("GRDP", "48", "2025Q1", 30000, hierarchy="legacy", status="final"),
            _obs("GRDP", "49", "2025Q1", 50000, hierarchy="legacy", status="final"),
            _obs("GRDP", "48", "2025Q2", 30000, hierarchy="legacy", status="final"),
            _obs("GRDP", "49", "2025Q2", 50000, hierarchy="legacy", status="final"),
            _obs("GRDP", "48", "2025Q3", 80000),
            _obs("GRDP", "48", "2025Q4", 80000),
            _obs("POPULATION", "48", "2025", 3_200_000),
            _obs("POPULATION", HAI_VAN, "2025", 12_345),
            _obs("POPULATION", LIEN_CHIEU, "2025", 6_789),
            _obs("POPULATION", HAI_VAN, "2024", 12_000, hierarchy="2025"),
        ],
    )
    with database.transaction() as db:
        target = TargetIn(unit="48", year=2026, value=60000, source="NQ 01/NQ-HĐND")
        indicators.set_targets(db=db, actor=ACTOR, code="BUDGET_REVENUE", rows=[target])
    return database


def _text(html: str) -> str:
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _testid(html: str, name: str) -> str:
    """The text of the element with that test id (up to the end tag of its kind)."""
    found = re.search(rf'<(\w+)[^>]*data-testid="{name}"[^>]*>(.*?)</\1>', html, re.S)
    assert found, f"no {name} on the page"
    return _text(found.group(2))


def _chart(html: str) -> dict[str, Any]:
    found = re.search(r"data-chart='([^']*)'", html)
    assert found, "no chart data"
    data: dict[str, Any] = json.loads(html_lib.unescape(found.group(1)))
    return data


def test_stored_indicator_page_in_vietnamese(data: Database, client_as: ClientFactory) -> None:
    r = client_as(LEADER48).get(
        "/indicators/BUDGET_REVENUE",
        params={"unit": "48", "period_type": "month", "period": "2026-10"},
        headers=HTML,
    )
    assert r.status_code == 200, r.text[:500]
    html = r.text
    assert _testid(html, "indicator-title") == "Thu ngân sách nhà nước trên địa bàn"
    facts = _testid(html, "indicator-facts")
    assert "BUDGET_REVENUE" in html
    assert "tỷ đồng" in _text(html)
    assert "Sở Tài chính thành phố Đà Nẵng" in _text(html)
    assert facts.startswith("Mã:")
    assert "Hằng tháng" in _text(html)
    # 5,123.4 with no decimals, Vietnamese grouping; +28.1 % on 4,000 a year earlier
    assert _testid(html, "value").startswith("5.123 ")
    assert _testid(html, "change") == "+28,1 %"
    assert "Tháng 10/2026" in _text(html)
    # the plan of 60,000: 4,400 + 4,500 + 5,123.4 = 14,023.4 so far = 23.4 %
    assert _testid(html, "target-value") == "60.000"
    assert _testid(html, "progress") == "23,4 %"
    # chart data: a gap in August (nothing reported, not zero), last year's value beside
    chart = _chart(html)
    at = chart["periods"].index("2026-10")
    assert chart["values"][at] == pytest.approx(5123.4)
    assert chart["values"][chart["periods"].index("2026-08")] is None
    assert chart["last_year"][at] == pytest.approx(4000)
    assert chart["labels"][at] == "10/2026"
    assert chart["kind"] == "bar"
    assert chart["names"]["last_year"] == "Cùng kỳ năm trước"
    assert chart["selected"] == at
    # downloads of the same series
    assert "/api/v1/indicators/export.csv?indicators=BUDGET_REVENUE&amp;unit=48" in html
    # a provincial indicator has no commune table
    assert 'data-testid="unit-table"' not in html


def test_latest_period_with_data_is_the_default(data: Database, client_as: ClientFactory) -> None:
    html = client_as(CITIZEN).get("/indicators/BUDGET_REVENUE", headers=HTML).text
    assert re.search(r'<option value="2026-10"\s*selected>Tháng 10/2026</option>', html)
    assert _testid(html, "value").startswith("5.123 ")


def test_derived_indicator_shows_its_formula_and_value(
    data: Database, client_as: ClientFactory
) -> None:
    html = (
        client_as(LEADER48)
        .get("/indicators/GRDP_PER_CAPITA", params={"unit": "48", "period": "2025"}, headers=HTML)
        .text
    )
    formula = _testid(html, "formula")
    assert formula.startswith("Công thức: Tổng sản phẩm trên địa bàn (GRDP) theo giá hiện hành")
    assert "× 1.000 ÷ Dân số trung bình" in formula
    # (2 × 80,000 re-mapped from 48 + 49, then 2 × 80,000) × 1000 / 3,200,000 = 100.0
    assert _testid(html, "value").startswith("100,0 ")
    assert "Quy đổi theo địa giới hành chính mới" in _text(html)
    assert "Chỉ tiêu tính từ các chỉ tiêu khác" in _testid(html, "freshness")
    # only years: the indicator is yearly
    assert re.findall(r'<option value="(\w+)"[^>]*>Năm</option>', html) == ["year"]


def test_explain_tree_is_a_fragment_with_sources(data: Database, client_as: ClientFactory) -> None:
    leader = client_as(LEADER48)
    r = leader.get(
        "/indicators/GRDP_PER_CAPITA/explain",
        params={"unit": "48", "period": "2025"},
        headers={**HTML, "HX-Request": "true"},
    )
    assert r.status_code == 200
    fragment = r.text
    assert "<html" not in fragment
    tree = _text(fragment)
    assert "100,0" in tree
    assert "320.000" in tree  # GRDP of the year
    assert "3.200.000" in tree  # population
    assert "Tỉnh Quảng Nam" in tree  # re-mapped from the legacy province
    assert "Nguồn: test" in tree
    # without JavaScript the same tree comes as a page
    page = leader.get(
        "/indicators/GRDP_PER_CAPITA/explain", params={"unit": "48", "period": "2025"}, headers=HTML
    )
    assert "<html" in page.text
    assert "Giải trình số liệu" in page.text


def test_table_of_communes_with_coverage(data: Database, client_as: ClientFactory) -> None:
    html = (
        client_as(LEADER48)
        .get("/indicators/POPULATION", params={"unit": "48", "period": "2025"}, headers=HTML)
        .text
    )
    rows = {
        code: _text(body)
        for code, body in re.findall(r'<tr data-code="(\d+)"[^>]*>(.*?)</tr>', html, re.S)
    }
    assert len(rows) == 94
    assert rows[HAI_VAN].startswith("Phường Hải Vân 12.345")
    assert "12.000" in rows[HAI_VAN]  # 2024 on the same map
    assert "+2,9 %" in rows[HAI_VAN]  # 12,345 / 12,000 - 1
    assert rows[LIEN_CHIEU].startswith("Phường Liên Chiểu 6.789")
    assert "chưa báo cáo" in rows["20200"]
    # the province's own figure, and the unit picker lists its communes
    assert _testid(html, "value").startswith("3.200.000 ")
    assert re.search(rf'<option value="{HAI_VAN}"\s*>— Phường Hải Vân</option>', html)


def test_a_commune_page_has_breadcrumbs_back_to_the_province(
    data: Database, client_as: ClientFactory
) -> None:
    html = (
        client_as(LEADER48)
        .get("/indicators/POPULATION", params={"unit": HAI_VAN, "period": "2025"}, headers=HTML)
        .text
    )
    crumbs = _testid(html, "unit-crumbs")
    assert crumbs.startswith("Thành phố Đà Nẵng ›")
    assert _testid(html, "value").startswith("12.345 ")
    assert 'href="/indicators/POPULATION?unit=48&amp;period_type=year&amp;period=2025"' in html


def test_todays_figures_on_the_former_map(data: Database, client_as: ClientFactory) -> None:
    html = (
        client_as(LEADER48)
        .get(
            "/indicators/BUDGET_REVENUE",
            params={"unit": "49", "hierarchy": "legacy", "period": "2026-10"},
            headers=HTML,
        )
        .text
    )
    assert _testid(html, "unit-crumbs").startswith("Tỉnh Quảng Nam")
    assert _testid(html, "remapped-note") == "Số liệu từ 01/7/2025 được quy đổi theo địa giới cũ"
    chart = _chart(html)
    at = chart["periods"].index("2026-10")
    assert chart["remapped"][at] is True
    assert chart["values"][at] is not None
    assert chart["names"]["remapped"] == "Quy đổi theo địa giới cũ"
    assert '<input type="hidden" name="hierarchy" value="legacy">' in html


def test_english_on_request(data: Database, client_as: ClientFactory) -> None:
    client = client_as(LEADER48)
    client.cookies.set("dh_lang", "en")
    html = client.get(
        "/indicators/BUDGET_REVENUE", params={"unit": "48", "period": "2026-10"}, headers=HTML
    ).text
    assert _testid(html, "indicator-title") == "State budget revenue collected in the province"
    assert _testid(html, "value").startswith("5,123 ")


def test_units_outside_the_scope_are_refused(data: Database, client_as: ClientFactory) -> None:
    hanoi = client_as(OPERATOR01)
    r = hanoi.get("/indicators/BUDGET_REVENUE", params={"unit": "48"}, headers=HTML)
    assert r.status_code == 403
    assert "Đơn vị này nằm ngoài phạm vi của bạn" in r.text
    explain = hanoi.get(
        "/indicators/BUDGET_REVENUE/explain",
        params={"unit": "48", "period": "2026-10"},
        headers={**HTML, "HX-Request": "true"},
    )
    assert explain.status_code == 403
    # without a unit, a visitor from Hà Nội sees Hà Nội, not the home province
    own = hanoi.get("/indicators/BUDGET_REVENUE", headers=HTML)
    assert own.status_code == 200
    assert _testid(own.text, "unit-crumbs").startswith("Thành phố Hà Nội")
    assert _testid(own.text, "value") == "Chưa có số liệu"


def test_unknown_indicator_and_anonymous_visitors(data: Database, client_as: ClientFactory) -> None:
    leader = client_as(LEADER48)
    assert leader.get("/indicators/NO_SUCH_CODE", headers=HTML).status_code == 404
    bad_period = leader.get(
        "/indicators/BUDGET_REVENUE", params={"period": "2026-13"}, headers=HTML
    )
    assert bad_period.status_code == 200  # an unusable period falls back to the latest
    anonymous = leader.__class__(base_url=str(leader.base_url))
    r = anonymous.get("/indicators/BUDGET_REVENUE", headers=HTML, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login?next=/indicators/BUDGET_REVENUE")
    anonymous.close()
