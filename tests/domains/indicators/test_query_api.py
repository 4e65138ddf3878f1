"""Query API over HTTP: shapes of every route, scope, and error codes (both databases)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from dieuhanh.core.db import Database
from dieuhanh.domains.indicators import service
from dieuhanh.domains.indicators.schemas import TargetIn
from tests.domains.indicators.test_query import HAI_VAN, LIEN_CHIEU, indicator, put
from tests.fixtures.auth import ADMIN48, OPERATOR01
from tests.fixtures.indicators import CATALOG_ACTOR

BASE = "/api/v1/indicators"
ClientAs = Callable[..., httpx.Client]


@pytest.fixture
def data(database: Database) -> Database:
    with database.transaction() as s:
        ind = indicator(s, "API_SALES", report_level="commune")
        for month, value in (("2026-01", 10), ("2026-02", 20), ("2026-03", 30)):
            put(s, ind, HAI_VAN, month, value)
        put(s, ind, LIEN_CHIEU, "2026-03", 5)
        put(s, ind, "20296", "2025-06", 8)  # legacy Hòa Liên, split into Hải Vân and Liên Chiểu
        indicator(s, "API_DOUBLE", formula="#{API_SALES} * 2", agg_units="none")
        service.set_targets(
            db=s,
            actor=CATALOG_ACTOR,
            code="API_SALES",
            rows=[TargetIn(unit="48", year=2026, value=400)],
        )
        s.info.pop("actor", None)
    return database


def test_series_and_errors(data: Database, client_as: ClientAs) -> None:
    client = client_as(ADMIN48)
    r = client.get(
        f"{BASE}/API_SALES/series", params={"unit": "48", "from": "2025-06", "to": "2026-03"}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["unit"] == {
        "code": "48",
        "name": "Thành phố Đà Nẵng",
        "level": "province",
        "hierarchy": "2025",
    }
    points = {p["period"]: p for p in body["points"]}
    assert len(points) == 10
    assert points["2025-06"]["value"] == 8
    assert points["2025-06"]["remapped"] is True
    assert points["2025-07"]["value"] is None
    assert points["2025-07"]["status"] == "missing"
    assert points["2026-03"]["value"] == 35
    assert points["2026-03"]["coverage"]["text"] == "2/94 xã đã báo cáo"
    assert "id" not in str(body["unit"])
    english = client.get(
        f"{BASE}/API_SALES/series",
        params={"unit": "48", "from": "2026-03", "to": "2026-03"},
        headers={"Accept-Language": "en"},
    )
    assert english.json()["points"][0]["coverage"]["text"] == "2/94 communes reported"
    missing = client.get(f"{BASE}/NO_SUCH/series", params={"unit": "48"})
    assert (missing.status_code, missing.json()["code"]) == (404, "indicator_not_found")
    bad = client.get(f"{BASE}/API_SALES/series", params={"unit": "48", "from": "2026-13"})
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid_period")
    other = client_as(OPERATOR01)
    outside = other.get(f"{BASE}/API_SALES/series", params={"unit": "48"})
    assert (outside.status_code, outside.json()["code"]) == (403, "out_of_scope")
    with httpx.Client(base_url=str(client.base_url), timeout=30) as anonymous:
        denied = anonymous.get(f"{BASE}/API_SALES/series", params={"unit": "48"})
    assert (denied.status_code, denied.json()["code"]) == (401, "not_authenticated")


def test_cross_section_table_and_value(data: Database, client_as: ClientAs) -> None:
    client = client_as(ADMIN48)
    r = client.get(
        f"{BASE}/cross-section",
        params={
            "period": "2026-03",
            "indicators": "API_SALES,API_DOUBLE",
            "parent": "48",
            "level": "commune",
            "limit": 200,
        },
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == 94
    rows = {row["unit"]["code"]: row["values"] for row in body["items"]}
    assert rows[HAI_VAN]["API_SALES"]["value"] == 30
    assert rows[HAI_VAN]["API_DOUBLE"]["value"] == 60
    assert body["total_row"]["values"]["API_DOUBLE"]["value"] == 70
    table = client.get(
        f"{BASE}/API_SALES/table",
        params={"parent": "48", "level": "commune", "from": "2026-01", "to": "2026-03", "limit": 5},
    ).json()
    assert table["periods"] == ["2026-01", "2026-02", "2026-03"]
    assert len(table["items"]) == 5
    assert [c["value"] for c in table["total_row"]["values"]] == [10, 20, 35]
    value = client.get(f"{BASE}/API_SALES/value", params={"unit": "48", "period": "2026-03"})
    assert value.status_code == 200, value.text
    v = value.json()
    assert v["cell"]["value"] == 35
    assert v["ytd"]["value"] == 65
    assert v["progress"]["target"] == 400
    assert v["progress"]["method"] == "linear"
    assert v["progress"]["projection"] == pytest.approx(65 * 4)
    assert (v["progress"]["status"], v["progress"]["status_text"]) == ("off_track", "không đạt")


def test_explain_freshness_and_overview(data: Database, client_as: ClientAs) -> None:
    client = client_as(ADMIN48)
    r = client.get(f"{BASE}/API_DOUBLE/explain", params={"unit": "48", "period": "2026-03"})
    assert r.status_code == 200, r.text
    tree = r.json()["tree"]
    assert (tree["kind"], tree["value"]) == ("formula", 70)
    fresh = client.get(f"{BASE}/API_SALES/freshness", params={"parent": "48", "level": "commune"})
    assert fresh.status_code == 200, fresh.text
    rows = {row["unit"]["code"]: row for row in fresh.json()["items"]}
    assert rows[HAI_VAN]["data_until"] == "2026-03-31"
    assert rows[HAI_VAN]["status"] in {"late", "pending", "fresh"}
    assert fresh.json()["total"] == 94
    overview = client.get(f"{BASE}/overview", params={"unit": "48", "period": "2026-03"})
    assert overview.status_code == 200, overview.text
    items = {item["indicator"]["code"]: item for item in overview.json()["items"]}
    assert items["API_SALES"]["cell"]["value"] == 35
    assert items["API_SALES"]["progress"]["target"] == 400
    assert items["API_DOUBLE"]["cell"]["value"] == 70
    assert "GRDP" in items  # the socio-economic pack, even without data
    assert items["GRDP"]["period"] == "2026Q1"
    assert items["GRDP"]["cell"]["value"] is None
