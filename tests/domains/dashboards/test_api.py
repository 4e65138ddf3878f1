"""The dashboards JSON API over a real server, both databases: create, list, read, edit and
delete; widget validation with field locations; optimistic locking; who may do what; unit
scope; the audit trail; widget downloads; child outlines for maps; wall playlists."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from dieuhanh.core.reporting_periods import latest_closed, window_of
from dieuhanh.domains.dashboards import service
from dieuhanh.domains.dashboards.schemas import PlaylistOut
from dieuhanh.domains.units import service as units
from tests.fixtures.auth import (
    ADMIN,
    ADMIN48,
    CITIZEN,
    LEADER48,
    OPERATOR01,
    OPERATOR48,
    ClientFactory,
)

PROBLEM = "application/problem+json"
BASE = "/api/v1/dashboards"
PACK = "kinh-te-xa-hoi"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NOT_ADMINS = (OPERATOR48, LEADER48, CITIZEN)


def problem(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = r.json()
    assert (body["code"], body["status"]) == (code, status)
    assert body["title"]
    return body


def locations(body: dict[str, Any]) -> dict[str, str]:
    """'body.widgets.0.kpi.indicator' → pydantic's error type, for each error."""
    return {".".join(e["location"]): e["type"] for e in body["errors"]}


def kpi(widget_id: str = "retail", **extra: Any) -> dict[str, Any]:
    return {"id": widget_id, "type": "kpi", "indicator": "RETAIL_SALES", **extra}


def board(code: str = "thu-nghiem", **extra: Any) -> dict[str, Any]:
    return {
        "code": code,
        "title_vi": "Bảng thử nghiệm",
        "title_en": "Trial board",
        "widgets": [kpi(x=0, y=0, w=3, h=2)],
        **extra,
    }


@pytest.fixture
def admin(client_as: ClientFactory) -> httpx.Client:
    return client_as(ADMIN)


# --- create, read, list, edit, delete -----------------------------------------------------------


def test_create_read_list_edit_delete(admin: httpx.Client) -> None:
    created = admin.post(
        BASE,
        json=board(
            description_vi="Mô tả",
            period_type="quarter",
            widgets=[
                kpi(x=0, y=0, w=3, h=2, ytd=True),
                {
                    "id": "trend",
                    "type": "timeseries",
                    "indicators": ["RETAIL_SALES", "EXPORT_TURNOVER"],
                    "x": 3,
                    "w": 9,
                    "h": 4,
                },
                {"id": "supply", "type": "counter", "counters": ["indicators.late"], "y": 4},
            ],
        ),
    )
    assert created.status_code == 201, created.text
    out = created.json()
    assert (out["code"], out["origin"], out["component"], out["version"]) == (
        "thu-nghiem",
        "local",
        "local",
        1,
    )
    assert (out["period_type"], out["updated_by"], out["unit"]) == ("quarter", ADMIN, None)
    # defaults are filled in and stored, so a reader sees the whole definition
    trend = out["widgets"][1]
    assert (trend["span"], trend["show_target"], trend["period_type"]) == (24, True, None)
    assert out["widgets"][2]["w"] == 3

    read = admin.get(f"{BASE}/thu-nghiem", headers={"Accept-Language": "en"}).json()
    assert read["title"] == "Trial board"
    assert read["widgets"] == out["widgets"]

    listed = admin.get(BASE).json()
    assert (listed["total"], listed["limit"], listed["offset"]) == (2, 50, 0)
    assert [d["code"] for d in listed["items"]] == [PACK, "thu-nghiem"]  # headline ones first
    assert listed["items"][1] == {
        "code": "thu-nghiem",
        "title": "Bảng thử nghiệm",
        "component": "local",
        "unit": None,
        "headline": False,
        "origin": "local",
        "widgets": 3,
    }
    local = admin.get(BASE, params={"component": "local"}).json()
    assert [d["code"] for d in local["items"]] == ["thu-nghiem"]
    second_page = admin.get(BASE, params={"limit": 1, "offset": 1}).json()
    assert (second_page["total"], [d["code"] for d in second_page["items"]]) == (2, ["thu-nghiem"])

    patched = admin.patch(
        f"{BASE}/thu-nghiem",
        json={"version": 1, "title_en": "Renamed board", "widgets": [kpi(w=6)]},
    )
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert (body["version"], body["title_en"], body["title_vi"]) == (
        2,
        "Renamed board",
        "Bảng thử nghiệm",  # fields not sent are kept
    )
    assert [(w["id"], w["w"]) for w in body["widgets"]] == [("retail", 6)]
    assert body["edited_locally"] is False  # only pack dashboards record local edits

    assert admin.delete(f"{BASE}/thu-nghiem").status_code == 204
    problem(admin.get(f"{BASE}/thu-nghiem"), 404, "dashboard_not_found")
    problem(admin.delete(f"{BASE}/thu-nghiem"), 404, "dashboard_not_found")


def test_editing_a_pack_dashboard_marks_it_local(admin: httpx.Client) -> None:
    before = admin.get(f"{BASE}/{PACK}").json()
    assert (before["origin"], before["edited_locally"]) == ("pack", False)
    r = admin.patch(f"{BASE}/{PACK}", json={"version": before["version"], "headline": False})
    assert r.status_code == 200, r.text
    assert (r.json()["edited_locally"], r.json()["headline"]) == (True, False)
    assert r.json()["widgets"] == before["widgets"]


def test_home_dashboard_is_composed_and_reserved(admin: httpx.Client) -> None:
    home = admin.get(f"{BASE}/tong-quan").json()
    assert home["component"] == "home"
    kpis = [w for w in home["widgets"] if w["type"] == "kpi"]
    assert kpis[0]["id"] == f"{PACK}-retail"
    problem(admin.post(BASE, json=board("tong-quan")), 409, "conflict")


# --- validation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("widgets", "expected"),
    [
        ([kpi(x=10, w=4)], {"body.widgets.0.kpi": "value_error"}),
        (
            [kpi(indicator="retail_sales")],
            {"body.widgets.0.kpi.indicator": "string_pattern_mismatch"},
        ),
        ([kpi(indicator="")], {"body.widgets.0.kpi.indicator": "string_pattern_mismatch"}),
        ([{"id": "pie", "type": "pie"}], {"body.widgets.0": "union_tag_invalid"}),
        ([kpi(), kpi(x=3)], {"body": "value_error"}),
        ([kpi(id="Retail")], {"body.widgets.0.kpi.id": "string_pattern_mismatch"}),
        ([kpi(h=13)], {"body.widgets.0.kpi.h": "less_than_equal"}),
        ([kpi(colour="red")], {"body.widgets.0.kpi.colour": "extra_forbidden"}),
        (
            [{"id": "t", "type": "timeseries", "indicators": []}],
            {"body.widgets.0.timeseries.indicators": "too_short"},
        ),
        (
            [{"id": "c", "type": "counter", "counters": ["Late!"]}],
            {"body.widgets.0.counter.counters.0": "string_pattern_mismatch"},
        ),
    ],
    ids=[
        "x-plus-w",
        "indicator-pattern",
        "no-indicator",
        "unknown-type",
        "duplicate-ids",
        "id-pattern",
        "too-tall",
        "unknown-option",
        "no-series",
        "counter-pattern",
    ],
)
def test_bad_widgets_are_refused_with_their_location(
    admin: httpx.Client, widgets: list[dict[str, Any]], expected: dict[str, str]
) -> None:
    body = problem(admin.post(BASE, json=board(widgets=widgets)), 422, "validation_error")
    assert locations(body) == expected
    # the same rules hold when a dashboard is edited
    version = admin.get(f"{BASE}/{PACK}").json()["version"]
    edited = admin.patch(f"{BASE}/{PACK}", json={"version": version, "widgets": widgets})
    patch_errors = problem(edited, 422, "validation_error")
    assert set(locations(patch_errors).values()) == set(expected.values())
    assert admin.get(f"{BASE}/{PACK}").json()["version"] == version  # nothing was saved


def test_messages_name_the_problem(admin: httpx.Client) -> None:
    overflow = problem(
        admin.post(BASE, json=board(widgets=[kpi(x=10, w=4)])), 422, "validation_error"
    )
    assert "x + w must be at most 12" in overflow["errors"][0]["message"]
    twice = problem(admin.post(BASE, json=board(widgets=[kpi(), kpi()])), 422, "validation_error")
    assert "'retail' is used twice" in twice["errors"][0]["message"]


def test_dashboard_fields_are_validated(admin: httpx.Client) -> None:
    body = problem(
        admin.post(BASE, json=board(code="Bad Code", title_vi="x", period_type="week")),
        422,
        "validation_error",
    )
    assert locations(body) == {
        "body.code": "string_pattern_mismatch",
        "body.title_vi": "string_too_short",
        "body.period_type": "literal_error",
    }
    # the code is the dashboard's address: a PATCH cannot change it
    moved = admin.patch(f"{BASE}/{PACK}", json={"version": 1, "code": "khac"})
    assert locations(problem(moved, 422, "validation_error")) == {"body.code": "extra_forbidden"}
    problem(
        admin.patch(f"{BASE}/{PACK}", json={"title_vi": "Không có phiên bản"}),
        422,
        "validation_error",
    )


def test_unknown_unit_is_refused(admin: httpx.Client) -> None:
    problem(admin.post(BASE, json=board(unit="99999")), 404, "unit_not_found")
    problem(admin.get(f"{BASE}/khong-co"), 404, "dashboard_not_found")
    problem(admin.get(f"{BASE}/Khong_Hop_Le"), 422, "validation_error")


# --- conflicts ---------------------------------------------------------------------------------


def test_stale_version_and_duplicate_code_conflict(client_as: ClientFactory) -> None:
    first, second = client_as(ADMIN), client_as(ADMIN48)
    assert first.post(BASE, json=board()).status_code == 201
    problem(second.post(BASE, json=board(title_vi="Trùng mã")), 409, "dashboard_exists")
    problem(first.post(BASE, json=board(code=PACK)), 409, "dashboard_exists")

    # both read version 1; the first save wins, the second is refused instead of overwriting
    assert (
        first.patch(f"{BASE}/thu-nghiem", json={"version": 1, "title_vi": "Lần một"}).status_code
        == 200
    )
    late = second.patch(f"{BASE}/thu-nghiem", json={"version": 1, "title_vi": "Lần hai"})
    body = problem(late, 409, "version_conflict")
    assert body["detail"] == "version 2 was saved after 1"
    current = second.get(f"{BASE}/thu-nghiem").json()
    assert (current["title_vi"], current["version"], current["updated_by"]) == ("Lần một", 2, ADMIN)
    again = second.patch(f"{BASE}/thu-nghiem", json={"version": 2, "title_vi": "Lần hai"})
    assert (again.status_code, again.json()["version"]) == (200, 3)


# --- who may do what ---------------------------------------------------------------------------


@pytest.mark.parametrize("username", NOT_ADMINS)
def test_only_administrators_edit(
    client_as: ClientFactory, admin: httpx.Client, username: str
) -> None:
    user = client_as(username)
    assert user.get(f"{BASE}/{PACK}").status_code == 200  # every role reads
    assert [d["code"] for d in user.get(BASE).json()["items"]] == [PACK]
    problem(user.post(BASE, json=board()), 403, "forbidden")
    problem(user.patch(f"{BASE}/{PACK}", json={"version": 1, "title_vi": "Đổi"}), 403, "forbidden")
    problem(user.delete(f"{BASE}/{PACK}"), 403, "forbidden")
    problem(
        user.put(
            "/api/v1/wall/playlists/chinh",
            json={"code": "chinh", "name": "Chính", "items": [{"dashboard": PACK}]},
        ),
        403,
        "forbidden",
    )
    assert admin.get(f"{BASE}/{PACK}").json()["version"] == 1
    assert admin.get(f"{BASE}/thu-nghiem").status_code == 404


def test_anonymous_callers_must_sign_in(client: httpx.Client) -> None:
    problem(client.get(BASE), 401, "not_authenticated")
    problem(client.post(BASE, json=board()), 401, "not_authenticated")
    problem(client.get("/api/v1/wall/playlists"), 401, "not_authenticated")


def test_citizens_do_not_see_the_wall(client_as: ClientFactory) -> None:
    citizen = client_as(CITIZEN)
    problem(citizen.get("/api/v1/wall/playlists"), 403, "forbidden")
    problem(citizen.get("/api/v1/wall/playlists/mac-dinh"), 403, "forbidden")


def test_a_unit_dashboard_is_hidden_outside_its_scope(client_as: ClientFactory) -> None:
    admin = client_as(ADMIN)
    created = admin.post(BASE, json=board(code="da-nang", unit="48"))
    assert created.status_code == 201, created.text
    assert created.json()["unit"] == "48"
    hanoi = client_as(OPERATOR01)
    assert "da-nang" not in [d["code"] for d in hanoi.get(BASE).json()["items"]]
    problem(hanoi.get(f"{BASE}/da-nang"), 404, "dashboard_not_found")
    problem(hanoi.get(f"{BASE}/da-nang/data"), 404, "dashboard_not_found")
    danang = client_as(OPERATOR48)
    assert "da-nang" in [d["code"] for d in danang.get(BASE).json()["items"]]
    assert danang.get(f"{BASE}/da-nang").json()["unit"] == "48"
    # an administrator of Đà Nẵng cannot give a dashboard to a unit outside the province
    problem(
        client_as(ADMIN48).post(BASE, json=board(code="ha-noi", unit="01")), 403, "out_of_scope"
    )


# --- audit ---------------------------------------------------------------------------------------


def test_changes_are_in_the_audit_log(admin: httpx.Client) -> None:
    assert admin.post(BASE, json=board()).status_code == 201
    assert (
        admin.patch(f"{BASE}/thu-nghiem", json={"version": 1, "title_vi": "Đã sửa"}).status_code
        == 200
    )
    assert admin.delete(f"{BASE}/thu-nghiem").status_code == 204
    log = admin.get("/api/v1/auth/audit", params={"table": "dashboards", "actor": ADMIN}).json()
    entries = sorted(log["items"], key=lambda e: e["id"])
    assert [e["action"] for e in entries] == ["insert", "update", "delete"]
    assert {e["actor"] for e in entries} == {"user:admin"}
    assert len({e["entity_id"] for e in entries}) == 1
    inserted, updated, deleted = entries
    assert inserted["after"]["code"] == "thu-nghiem"
    assert inserted["after"]["widgets"][0]["indicator"] == "RETAIL_SALES"
    assert updated["before"]["title_vi"] == "Bảng thử nghiệm"
    assert updated["after"]["title_vi"] == "Đã sửa"
    assert updated["after"]["version"] == 2
    assert deleted["before"]["code"] == "thu-nghiem"


def test_playlist_changes_are_in_the_audit_log(admin: httpx.Client) -> None:
    body = {"code": "chinh", "name": "Chính", "items": [{"dashboard": PACK}]}
    assert admin.put("/api/v1/wall/playlists/chinh", json=body).status_code == 200
    log = admin.get("/api/v1/auth/audit", params={"table": "wall_playlists"}).json()
    assert [(e["action"], e["actor"]) for e in log["items"]] == [("insert", "user:admin")]
    assert log["items"][0]["after"]["items"][0]["dashboard"] == PACK


# --- widget downloads -------------------------------------------------------------------------


@pytest.fixture
def retail_board(admin: httpx.Client) -> httpx.Client:
    """A dashboard with a KPI tile of retail sales, and two months of Đà Nẵng's figures."""
    rows = [
        {"indicator": "RETAIL_SALES", "unit": "48", "period": "2026-09", "value": 9500},
        {"indicator": "RETAIL_SALES", "unit": "48", "period": "2026-10", "value": 10000.5},
    ]
    written = admin.post(
        "/api/v1/indicators/data", json={"rows": rows}, headers={"Idempotency-Key": "tai-xuong"}
    )
    assert written.status_code == 201, written.text
    widgets = [
        kpi(sparkline=3, x=0, w=4),
        {"id": "supply", "type": "counter", "counters": ["indicators.late"], "x": 4},
    ]
    assert admin.post(BASE, json=board("tai-xuong", widgets=widgets)).status_code == 201
    return admin


def read_csv(r: httpx.Response) -> list[list[str]]:
    assert r.content.startswith("\ufeff".encode())  # a BOM, so Excel reads UTF-8
    return list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))


def test_widget_csv(retail_board: httpx.Client) -> None:
    url = f"{BASE}/tai-xuong/widgets/retail/data.csv"
    r = retail_board.get(url, params={"unit": "48", "period": "2026-10"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.headers["content-disposition"] == (
        'attachment; filename="tai-xuong_retail_48_2026-10.csv"'
    )
    rows = read_csv(r)
    assert rows[0] == ["indicator", "unit", "period", "value", "ytd", "measure_unit", "data_until"]
    head = rows[1]
    assert head[:5] == ["RETAIL_SALES", "48", "2026-10", "10000.5", "19500.5"]
    assert head[5] == "tỷ đồng"
    # the sparkline: three months, a month without data is an empty cell, never 0
    assert [row[2:4] for row in rows[2:]] == [
        ["2026-08", ""],
        ["2026-09", "9500.0"],
        ["2026-10", "10000.5"],
    ]


def test_widget_xlsx(retail_board: httpx.Client) -> None:
    url = f"{BASE}/tai-xuong/widgets/retail/data.xlsx"
    r = retail_board.get(url, params={"period": "2026-10"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == XLSX
    assert r.headers["content-disposition"] == (
        'attachment; filename="tai-xuong_retail_48_2026-10.xlsx"'
    )
    book = load_workbook(io.BytesIO(r.content))
    sheet = book["retail"]
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0][:4] == ["indicator", "unit", "period", "value"]
    assert values[1][:5] == ["RETAIL_SALES", "48", "2026-10", 10000.5, 19500.5]
    assert isinstance(values[1][3], float)  # numbers stay numbers
    counters = retail_board.get(
        f"{BASE}/tai-xuong/widgets/supply/data.csv", params={"period": "2026-10"}
    )
    assert read_csv(counters)[0] == ["counter", "value"]
    assert read_csv(counters)[1][0] == "indicators.late"
    problem(
        retail_board.get(f"{BASE}/tai-xuong/widgets/khong-co/data.xlsx"), 404, "widget_not_found"
    )


def test_downloads_are_scoped(retail_board: httpx.Client, client_as: ClientFactory) -> None:
    hanoi = client_as(OPERATOR01)
    url = f"{BASE}/tai-xuong/widgets/retail/data.csv"
    problem(hanoi.get(url, params={"unit": "48", "period": "2026-10"}), 403, "out_of_scope")
    leader = client_as(LEADER48)
    assert leader.get(url, params={"period": "2026-10"}).status_code == 200


# --- outlines for map widgets -------------------------------------------------------------------


def test_child_outlines_are_geojson(client_as: ClientFactory) -> None:
    admin = client_as(ADMIN)
    r = admin.get(f"{BASE}/geo/VN")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/geo+json"
    assert r.headers["cache-control"] == "max-age=3600"
    body = r.json()
    assert body["type"] == "FeatureCollection"
    features = {f["id"]: f for f in body["features"]}
    assert len(features) == 34  # the provinces since the 2025 reform
    danang = features["48"]
    assert danang["properties"] == {
        "code": "48",
        "name": danang["properties"]["name"],
        "level": "province",
        "hierarchy": "2025",
    }
    assert "Đà Nẵng" in danang["properties"]["name"]
    assert danang["geometry"]["type"] in ("Polygon", "MultiPolygon")
    legacy = admin.get(f"{BASE}/geo/VN", params={"hierarchy": "legacy"}).json()
    assert {f["properties"]["hierarchy"] for f in legacy["features"]} <= {"legacy"}
    # a reader sees the outlines inside their scope only
    operator = client_as(OPERATOR48)
    assert operator.get(f"{BASE}/geo/48").json()["type"] == "FeatureCollection"
    problem(operator.get(f"{BASE}/geo/VN"), 403, "out_of_scope")
    problem(client_as(OPERATOR01).get(f"{BASE}/geo/48"), 403, "out_of_scope")
    problem(operator.get(f"{BASE}/geo/99999"), 404, "unit_not_found")
    problem(operator.get(f"{BASE}/geo/48", params={"hierarchy": "2030"}), 422, "validation_error")


# --- wall playlists -----------------------------------------------------------------------------


def test_default_playlist_until_one_is_stored(client_as: ClientFactory) -> None:
    operator = client_as(OPERATOR48)
    assert operator.get("/api/v1/wall/playlists").json()["items"] == []
    default = operator.get("/api/v1/wall/playlists/mac-dinh").json()
    assert (default["code"], default["version"]) == ("mac-dinh", 0)
    assert default["items"] == [
        {"dashboard": "tong-quan", "unit": None, "seconds": 30, "screen": None},
        {"dashboard": PACK, "unit": None, "seconds": 30, "screen": None},
    ]
    problem(operator.get("/api/v1/wall/playlists/khong-co"), 404, "playlist_not_found")


def test_put_playlist_and_screens(client_as: ClientFactory) -> None:
    admin = client_as(ADMIN)
    items = [
        {"dashboard": "tong-quan", "seconds": 20},
        {"dashboard": PACK, "unit": "20194", "seconds": 45, "screen": 2},
        {"dashboard": PACK, "screen": 1},
    ]
    # the code in the path wins over the body's
    r = admin.put(
        "/api/v1/wall/playlists/chinh", json={"code": "khac", "name": " Chính ", "items": items}
    )
    assert r.status_code == 200, r.text
    stored = r.json()
    assert (stored["code"], stored["name"], stored["version"], stored["updated_by"]) == (
        "chinh",
        "Chính",
        1,
        ADMIN,
    )
    assert stored["items"][2] == {"dashboard": PACK, "unit": None, "seconds": 30, "screen": 1}
    again = admin.put(
        "/api/v1/wall/playlists/chinh", json={"code": "chinh", "name": "Chính", "items": items[:2]}
    )
    assert again.json()["version"] == 2

    operator = client_as(OPERATOR48)
    listed = operator.get("/api/v1/wall/playlists").json()
    assert (listed["total"], [p["code"] for p in listed["items"]]) == (1, ["chinh"])
    read = operator.get("/api/v1/wall/playlists/chinh").json()
    assert len(read["items"]) == 2
    # what each screen of the wall rotates through: its own items and the unpinned ones
    playlist = PlaylistOut.model_validate(read)
    assert [i.dashboard for i in service.screen_items(playlist, 2)] == ["tong-quan", PACK]
    assert [i.dashboard for i in service.screen_items(playlist, 1)] == ["tong-quan"]
    assert len(service.screen_items(playlist, None)) == 2

    bad = admin.put(
        "/api/v1/wall/playlists/chinh",
        json={
            "code": "chinh",
            "name": "Chính",
            "items": [{"dashboard": PACK, "seconds": 3, "screen": 65}],
        },
    )
    assert locations(problem(bad, 422, "validation_error")) == {
        "body.items.0.seconds": "greater_than_equal",
        "body.items.0.screen": "less_than_equal",
    }
    empty = admin.put(
        "/api/v1/wall/playlists/chinh", json={"code": "chinh", "name": "Chính", "items": []}
    )
    assert locations(problem(empty, 422, "validation_error")) == {"body.items": "too_short"}


# --- the Decree-09 reporting period -----------------------------------------------------------


def test_calendar_is_part_of_the_definition(admin: httpx.Client) -> None:
    pack = admin.get(f"{BASE}/{PACK}").json()
    assert pack["reporting_calendar"] == "decree09"  # the pack's report figures
    created = admin.post(BASE, json=board()).json()
    assert created["reporting_calendar"] == "calendar"
    patched = admin.patch(
        f"{BASE}/thu-nghiem", json={"version": 1, "reporting_calendar": "decree09"}
    )
    assert patched.status_code == 200, patched.text
    assert admin.get(f"{BASE}/thu-nghiem").json()["reporting_calendar"] == "decree09"
    body = problem(
        admin.patch(f"{BASE}/thu-nghiem", json={"version": 2, "reporting_calendar": "lunar"}),
        422,
        "validation_error",
    )
    assert locations(body) == {"body.reporting_calendar": "literal_error"}
    bad = problem(
        admin.post(BASE, json=board("khac", reporting_calendar="lunar")), 422, "validation_error"
    )
    assert locations(bad) == {"body.reporting_calendar": "literal_error"}
    log = admin.get("/api/v1/auth/audit", params={"table": "dashboards", "actor": ADMIN}).json()
    update = next(e for e in log["items"] if e["action"] == "update")
    assert (update["before"]["reporting_calendar"], update["after"]["reporting_calendar"]) == (
        "calendar",
        "decree09",
    )


def test_data_in_either_calendar(client_as: ClientFactory) -> None:
    reader = client_as(LEADER48)
    today = units.today()
    own = reader.get(f"{BASE}/{PACK}/data").json()  # the dashboard's own: Decree 09
    latest = latest_closed("month", today, "decree09")
    assert (own["calendar"], own["period"]) == ("decree09", str(latest))
    first, last = window_of(latest, "decree09")
    assert own["period_window"] == {"first": first.isoformat(), "last": last.isoformat()}
    assert own["period_label"].endswith(
        f"({first.strftime('%d/%m/%Y')} – {last.strftime('%d/%m/%Y')})"
    )
    plain = reader.get(f"{BASE}/{PACK}/data", params={"calendar": "calendar"}).json()
    assert (plain["calendar"], plain["period"]) == (
        "calendar",
        str(latest_closed("month", today, "calendar")),
    )
    assert "(" not in plain["period_label"]
    october = {"period": "2026-10"}
    decree = reader.get(f"{BASE}/{PACK}/data", params={**october, "calendar": "decree09"}).json()
    assert decree["period_window"] == {"first": "2026-09-15", "last": "2026-10-14"}
    assert decree["period_label"] == "Tháng 10/2026 (15/09/2026 – 14/10/2026)"
    english = reader.get(
        f"{BASE}/{PACK}/data", params=october, headers={"Accept-Language": "en"}
    ).json()
    assert english["period_label"] == "October 2026 (15 Sep 2026 – 14 Oct 2026)"
    home = reader.get(f"{BASE}/tong-quan/data", params=october).json()
    assert (home["calendar"], home["period_window"]["first"]) == ("calendar", "2026-10-01")
    home09 = reader.get(f"{BASE}/tong-quan/data", params={**october, "calendar": "decree09"})
    assert home09.json()["period_window"]["last"] == date(2026, 10, 14).isoformat()


@pytest.mark.parametrize("value", ["lunar", "Decree09", "", "decree09,calendar"])
def test_an_unknown_calendar_is_refused(client_as: ClientFactory, value: str) -> None:
    reader = client_as(LEADER48)
    for url in (f"{BASE}/{PACK}/data", f"{BASE}/{PACK}/widgets/retail/data.csv"):
        body = problem(reader.get(url, params={"calendar": value}), 422, "validation_error")
        assert locations(body) == {"query.calendar": "literal_error"}


def test_downloads_follow_the_calendar(retail_board: httpx.Client) -> None:
    url = f"{BASE}/tai-xuong/widgets/retail/data.csv"
    # a local dashboard opens in the calendar: on 22/11 the default month is October;
    # in Decree 09 it is November (closed 14/11)
    today = units.today()
    plain = read_csv(retail_board.get(url))
    decree = read_csv(retail_board.get(url, params={"calendar": "decree09"}))
    assert plain[1][2] == str(latest_closed("month", today, "calendar"))
    assert decree[1][2] == str(latest_closed("month", today, "decree09"))
    same = read_csv(retail_board.get(url, params={"calendar": "decree09", "period": "2026-10"}))
    assert same[1][2:5] == ["2026-10", "10000.5", "19500.5"]  # the numbers do not change
