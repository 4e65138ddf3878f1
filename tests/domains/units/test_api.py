"""Units JSON API over a real server: every route, pagination shape, problem+json errors."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.fixtures.auth import ADMIN, ADMIN48, OPERATOR01, OPERATOR48, ClientFactory

PROBLEM = "application/problem+json"
UNIT_FIELDS = {
    "code", "hierarchy", "level", "type", "name", "short_name", "parent_code",
    "valid_from", "valid_to", "area_km2", "agency_kind", "origin",
}  # fmt: skip


def problem(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = r.json()
    assert body["code"] == code
    assert body["status"] == status
    assert body["type"].endswith("/" + code)
    assert body["title"]
    return body


def page(r: httpx.Response) -> dict[str, Any]:
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    assert set(body) == {"items", "total", "limit", "offset"}
    return body


def test_list_is_paginated(client: httpx.Client) -> None:
    params = {"level": "commune", "parent": "48", "limit": 10}
    first = page(client.get("/api/v1/units", params=params))
    second = page(client.get("/api/v1/units", params={**params, "offset": 10}))
    assert first["total"] == second["total"] == 94
    assert (first["limit"], first["offset"], second["offset"]) == (10, 0, 10)
    assert len(first["items"]) == len(second["items"]) == 10
    assert {u["code"] for u in first["items"]}.isdisjoint(u["code"] for u in second["items"])
    assert set(first["items"][0]) == UNIT_FIELDS  # no database id
    default = page(client.get("/api/v1/units"))
    assert default["limit"] == 50
    assert default["offset"] == 0
    assert default["total"] == 1 + 34 + 3_321 + 34 * 14 + 94  # today's map, with agencies


def test_list_search_without_diacritics(client: httpx.Client) -> None:
    body = page(client.get("/api/v1/units", params={"q": "da nang", "limit": 3}))
    assert body["items"][0]["code"] == "48"
    legacy = page(
        client.get(
            "/api/v1/units", params={"q": "Quang Nam", "level": "province", "as_of": "2025-06-30"}
        )
    )
    assert [u["code"] for u in legacy["items"]] == ["49"]
    assert legacy["items"][0]["hierarchy"] == "legacy"
    explicit = page(
        client.get(
            "/api/v1/units", params={"q": "quảng nam", "level": "province", "hierarchy": "legacy"}
        )
    )
    assert explicit["items"] == legacy["items"]


@pytest.mark.parametrize(
    ("params", "location"),
    [
        ({"level": "village"}, ["query", "level"]),
        ({"as_of": "2025-13-01"}, ["query", "as_of"]),
        ({"as_of": "yesterday"}, ["query", "as_of"]),
        ({"hierarchy": "1975"}, ["query", "hierarchy"]),
        ({"limit": 0}, ["query", "limit"]),
        ({"limit": 5000}, ["query", "limit"]),
        ({"offset": -1}, ["query", "offset"]),
    ],
)
def test_list_rejects_bad_input(
    client: httpx.Client, params: dict[str, Any], location: list[str]
) -> None:
    body = problem(client.get("/api/v1/units", params=params), 422, "validation_error")
    assert body["errors"][0]["location"] == location


def test_unknown_parent_is_not_found(client: httpx.Client) -> None:
    problem(client.get("/api/v1/units", params={"parent": "49"}), 404, "unit_not_found")


def test_get_one_unit_by_code_and_date(client: httpx.Client) -> None:
    da_nang = client.get("/api/v1/units/48").json()
    assert da_nang["name"] == "Thành phố Đà Nẵng"
    assert da_nang["hierarchy"] == "2025"
    assert client.get("/api/v1/units/00004").json()["name"] == "Phường Ba Đình"
    old = client.get("/api/v1/units/00004", params={"as_of": "2025-01-01"}).json()
    assert old["name"] == "Phường Trúc Bạch"
    assert old["valid_to"] == "2025-06-30"
    agency = client.get("/api/v1/units/48.SYT").json()
    assert (agency["level"], agency["agency_kind"], agency["parent_code"]) == (
        "agency", "health", "48",
    )  # fmt: skip
    body = problem(client.get("/api/v1/units/49"), 404, "unit_not_found")
    assert body["title"] == "Đơn vị hành chính không tồn tại"
    english = client.get("/api/v1/units/49", headers={"Accept-Language": "en"})
    assert (
        problem(english, 404, "unit_not_found")["title"] == "The administrative unit does not exist"
    )
    problem(client.get("/api/v1/units/48", params={"as_of": "01/07/2025"}), 422, "validation_error")


def test_children(client: httpx.Client) -> None:
    body = page(client.get("/api/v1/units/48/children", params={"limit": 200}))
    assert body["total"] == 94 + 14
    assert [u["level"] for u in body["items"]] == ["commune"] * 94 + ["agency"] * 14
    agencies = page(client.get("/api/v1/units/48/children", params={"level": "agency"}))
    assert agencies["total"] == 14
    legacy = page(client.get("/api/v1/units/49/children", params={"hierarchy": "legacy"}))
    assert legacy["total"] == 17
    assert all(u["level"] == "district" for u in legacy["items"])
    problem(client.get("/api/v1/units/nowhere/children"), 404, "unit_not_found")


def test_ancestors(client: httpx.Client) -> None:
    body = page(client.get("/api/v1/units/20194.UBND/ancestors"))
    assert [u["code"] for u in body["items"]] == ["VN", "48", "20194"]
    legacy = page(client.get("/api/v1/units/20194/ancestors", params={"as_of": "2024-12-31"}))
    assert [u["code"] for u in legacy["items"]] == ["VN", "48", "490"]
    assert legacy["items"][2]["name"] == "Quận Liên Chiểu"


def test_predecessors_and_successors(client: httpx.Client) -> None:
    before = page(client.get("/api/v1/units/20194/predecessors"))
    assert before["total"] == 4
    split = next(s for s in before["items"] if s["unit"]["code"] == "20296")
    assert split["kind"] == "split"
    assert split["weight"] == 0.5
    assert split["is_default"] is False
    assert split["effective"] == "2025-07-01"
    assert [a["code"] for a in split["ancestors"]] == ["48", "497"]
    after = page(client.get("/api/v1/units/20296/successors", params={"hierarchy": "legacy"}))
    assert sorted(s["unit"]["code"] for s in after["items"]) == ["20194", "20197"]
    assert sum(s["weight"] for s in after["items"]) == pytest.approx(1.0)
    province = page(client.get("/api/v1/units/49/successors", params={"hierarchy": "legacy"}))
    assert [(s["unit"]["code"], s["kind"]) for s in province["items"]] == [("48", "merged")]
    paged = page(client.get("/api/v1/units/20194/predecessors", params={"limit": 1, "offset": 1}))
    assert paged["total"] == 4
    assert len(paged["items"]) == 1
    assert paged["items"][0] == before["items"][1]


def test_boundary_is_a_geojson_feature(client: httpx.Client) -> None:
    r = client.get("/api/v1/units/48/boundary")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/geo+json")
    feature = r.json()
    assert feature["type"] == "Feature"
    assert feature["properties"]["code"] == "48"
    assert feature["geometry"]["type"] in {"Polygon", "MultiPolygon"}
    old = client.get("/api/v1/units/49/boundary", params={"hierarchy": "legacy"}).json()
    assert old["properties"]["name"] == "Tỉnh Quảng Nam"
    problem(client.get("/api/v1/units/20194/boundary"), 404, "unit_not_found")


NEW_AGENCY = {
    "parent": "48",
    "code": "48.SDL",
    "name": "Sở Du lịch thành phố Đà Nẵng",
    "short_name": "Sở Du lịch",
    "agency_kind": "tourism",
    "type": "Sở",
}


def test_anonymous_cannot_add_agencies(client: httpx.Client) -> None:
    problem(client.post("/api/v1/units", json=NEW_AGENCY), 401, "not_authenticated")
    problem(client.post("/api/v1/units", json={"nonsense": 1}), 401, "not_authenticated")
    problem(client.get("/api/v1/units/48.SDL"), 404, "unit_not_found")


def test_admin_adds_an_agency(client: httpx.Client, client_as: ClientFactory) -> None:
    admin48 = client_as(ADMIN48)
    r = admin48.post("/api/v1/units", json=NEW_AGENCY)
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["code"] == "48.SDL"
    assert created["origin"] == "local"
    assert "id" not in created
    assert client.get("/api/v1/units/48.SDL").json()["name"] == NEW_AGENCY["name"]
    children = page(client.get("/api/v1/units/48/children", params={"level": "agency"}))
    assert "48.SDL" in {u["code"] for u in children["items"]}
    problem(admin48.post("/api/v1/units", json=NEW_AGENCY), 409, "unit_exists")
    body = problem(
        admin48.post("/api/v1/units", json={**NEW_AGENCY, "code": "48 SDL", "agency_kind": "x"}),
        422,
        "validation_error",
    )
    assert {tuple(e["location"]) for e in body["errors"]} == {
        ("body", "code"), ("body", "agency_kind"),
    }  # fmt: skip
    hanoi = {**NEW_AGENCY, "parent": "01", "code": "01.SDL"}
    problem(admin48.post("/api/v1/units", json=hanoi), 403, "out_of_scope")
    assert client_as(ADMIN).post("/api/v1/units", json=hanoi).status_code == 201
    operator = client_as(OPERATOR48)
    problem(operator.post("/api/v1/units", json={**NEW_AGENCY, "code": "48.X"}), 403, "forbidden")


def test_signed_in_users_see_their_scope(client_as: ClientFactory) -> None:
    hanoi = client_as(OPERATOR01)
    problem(hanoi.get("/api/v1/units/48"), 403, "out_of_scope")
    found = page(hanoi.get("/api/v1/units", params={"q": "da nang", "limit": 100}))
    assert all(u["code"] != "48" for u in found["items"])
    da_nang = client_as(OPERATOR48)
    legacy = page(da_nang.get("/api/v1/units", params={"level": "province", "hierarchy": "legacy"}))
    assert [u["code"] for u in legacy["items"]] == ["48", "49"]
    assert da_nang.get("/api/v1/units/49", params={"hierarchy": "legacy"}).status_code == 200
    problem(da_nang.get("/api/v1/units/01/children"), 403, "out_of_scope")
