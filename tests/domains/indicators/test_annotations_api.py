"""The annotations JSON API over a real server, both databases: create (201), list (200,
paged, ``from``/``to``, the reader's language), delete (204), each refusal with its problem
code, the audit trail of who added and removed what, and who may call what."""

from __future__ import annotations

from typing import Any

import httpx

from dieuhanh.core.db import Database
from dieuhanh.domains.auth import service as auth_service
from tests.domains.indicators.test_catalog_api import page, problem
from tests.fixtures.auth import (
    ADMIN,
    AGENCY48,
    CITIZEN,
    LEADER48,
    OPERATOR01,
    OPERATOR48,
    ClientFactory,
)

BASE = "/api/v1/indicators"
NOTES = f"{BASE}/BUDGET_REVENUE/annotations"
HAI_VAN = "20194"


def body(**fields: Any) -> dict[str, Any]:
    return {"unit": "48", "day": "2026-10-05", "text_vi": "Bão số 12 đổ bộ", **fields}


def entries(r: httpx.Response) -> set[tuple[str, str]]:
    return {(".".join(e["location"]), e["type"]) for e in r.json().get("errors", [])}


def test_create_list_and_delete(client_as: ClientFactory, database: Database) -> None:
    operator = client_as(OPERATOR48)
    created = operator.post(
        NOTES,
        json=body(
            kind="event",
            end_day="2026-10-09",
            text_en="Typhoon No. 12 makes landfall",
            link="https://baodanang.vn/bao-so-12",
        ),
    )
    assert created.status_code == 201, created.text
    note = created.json()
    assert note["indicator"] == "BUDGET_REVENUE"
    assert (note["unit"], note["unit_name"], note["hierarchy"]) == (
        "48",
        "Thành phố Đà Nẵng",
        "2025",
    )
    assert (note["day"], note["end_day"], note["kind"]) == ("2026-10-05", "2026-10-09", "event")
    assert (note["text"], note["source"]) == ("Bão số 12 đổ bộ", "user")
    assert (note["created_by"], note["created_by_name"]) == (
        "user:operator48",
        "Nguyễn Văn Vận Hành",
    )
    assert note["created_at"].endswith("Z") or "+00:00" in note["created_at"]
    assert "unit_id" not in note
    ward = operator.post(NOTES, json=body(unit=HAI_VAN, day="2026-11-02", text_vi="Sạt lở"))
    assert ward.status_code == 201, ward.text

    # a ward's chart shows the province's note; the province's chart not the ward's
    listed = page(operator.get(NOTES, params={"unit": HAI_VAN}))
    assert [n["text"] for n in listed["items"]] == ["Bão số 12 đổ bộ", "Sạt lở"]
    assert [n["text"] for n in page(operator.get(NOTES, params={"unit": "48"}))["items"]] == [
        "Bão số 12 đổ bộ"
    ]
    # from/to take days or periods; a span overlapping the range is in it
    october = page(
        operator.get(NOTES, params={"unit": HAI_VAN, "from": "2026-10-08", "to": "2026-10"})
    )
    assert [n["id"] for n in october["items"]] == [note["id"]]
    november = page(operator.get(NOTES, params={"from": "2026-11", "limit": 1}))
    assert (november["total"], november["limit"]) == (1, 1)
    english = operator.get(NOTES, params={"unit": "48"}, headers={"Accept-Language": "en"})
    assert english.json()["items"][0]["text"] == "Typhoon No. 12 makes landfall"

    deleted = operator.delete(f"{BASE}/annotations/{note['id']}")
    assert deleted.status_code == 204, deleted.text
    assert deleted.content == b""
    assert [n["text"] for n in page(operator.get(NOTES))["items"]] == ["Sạt lở"]
    problem(operator.delete(f"{BASE}/annotations/{note['id']}"), 404, "not_found")

    with database.reading() as db:
        log = auth_service.list_audit(
            db=db,
            actor=auth_service.system_actor("tests"),
            actor_name=OPERATOR48,
            table_name="indicator_annotations",
            limit=50,
        )
    actions = sorted((e.action, e.entity_id) for e in log.items)
    assert actions == sorted(
        [
            ("insert", str(note["id"])),
            ("insert", str(ward.json()["id"])),
            ("delete", str(note["id"])),
        ]
    )
    removed = next(e for e in log.items if e.action == "delete")
    assert removed.before
    assert removed.before["text_vi"] == "Bão số 12 đổ bộ"


def test_bad_input_answers_with_typed_problems(client_as: ClientFactory) -> None:
    admin = client_as(ADMIN)
    problem(admin.post(f"{BASE}/NO_SUCH/annotations", json=body()), 404, "indicator_not_found")
    problem(admin.get(f"{BASE}/NO_SUCH/annotations"), 404, "indicator_not_found")
    cases: list[tuple[dict[str, Any], set[tuple[str, str]]]] = [
        ({"text_vi": " "}, {("body.text_vi", "text_required")}),
        ({"text_vi": "x" * 501}, {("body.text_vi", "text_too_long")}),
        ({"end_day": "2026-10-01"}, {("body.end_day", "end_before_start")}),
        ({"link": "javascript:alert(1)"}, {("body.link", "invalid_link")}),
        ({"unit": "99999"}, {("body.unit", "unknown_unit")}),
        ({"kind": "directive"}, {("body.kind", "kind_reserved")}),
        ({"kind": "rumour"}, {("body.kind", "literal_error")}),
        ({"day": "05/10/2026"}, {("body.day", "date_from_datetime_parsing")}),
        ({"colour": "red"}, {("body.colour", "extra_forbidden")}),
    ]
    for fields, expected in cases:
        r = admin.post(NOTES, json=body(**fields))
        problem(r, 422, "validation_error")
        assert entries(r) == expected, fields
    missing = admin.post(NOTES, json={"unit": "48"})
    problem(missing, 422, "validation_error")
    assert {("body.day", "missing"), ("body.text_vi", "missing")} <= entries(missing)
    problem(admin.get(NOTES, params={"from": "tháng 10"}), 422, "invalid_period")
    backwards = admin.get(NOTES, params={"from": "2026-10", "to": "2026-09-30"})
    problem(backwards, 422, "validation_error")
    assert entries(backwards) == {("query.to", "end_before_start")}
    problem(admin.get(NOTES, params={"unit": "99999"}), 404, "unit_not_found")
    problem(admin.delete(f"{BASE}/annotations/123456"), 404, "not_found")
    problem(admin.delete(f"{BASE}/annotations/abc"), 422, "validation_error")
    assert page(admin.get(NOTES))["total"] == 0  # nothing was written


def test_who_may_call(client: httpx.Client, client_as: ClientFactory) -> None:
    problem(client.get(NOTES), 401, "not_authenticated")
    problem(client.post(NOTES, json=body()), 401, "not_authenticated")
    admin = client_as(ADMIN)
    everywhere = admin.post(NOTES, json=body(unit=None, text_vi="Toàn quốc"))
    assert everywhere.status_code == 201, everywhere.text
    assert everywhere.json()["unit"] is None
    hanoi = admin.post(NOTES, json=body(unit="01", text_vi="Hà Nội"))
    assert hanoi.status_code == 201, hanoi.text

    citizen = client_as(CITIZEN)  # reads indicator data, so reads the notes on it
    assert [n["text"] for n in page(citizen.get(NOTES, params={"unit": "48"}))["items"]] == [
        "Toàn quốc"
    ]
    problem(citizen.post(NOTES, json=body()), 403, "forbidden")
    problem(client_as(LEADER48).post(NOTES, json=body()), 403, "forbidden")
    # agency officers write only their agency's indicators (the budget is the STC's)
    problem(client_as(AGENCY48).post(NOTES, json=body()), 403, "forbidden")
    operator = client_as(OPERATOR48)
    problem(operator.post(NOTES, json=body(unit=None)), 403, "out_of_scope")
    problem(operator.post(NOTES, json=body(unit="01")), 403, "out_of_scope")
    problem(operator.delete(f"{BASE}/annotations/{everywhere.json()['id']}"), 403, "out_of_scope")
    problem(operator.delete(f"{BASE}/annotations/{hanoi.json()['id']}"), 404, "not_found")
    assert "Hà Nội" not in [n["text"] for n in page(operator.get(NOTES))["items"]]
    problem(client_as(OPERATOR01).get(NOTES, params={"unit": "48"}), 403, "out_of_scope")
    # the CSRF header is required of a signed-in browser session
    own = operator.post(NOTES, json=body(text_vi="Của tôi")).json()
    without = operator.delete(f"{BASE}/annotations/{own['id']}", headers={"X-CSRF-Token": ""})
    problem(without, 403, "csrf_failed")
