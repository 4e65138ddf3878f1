"""Open311 GeoReport v2 over a real server (SQLite and PostgreSQL): every endpoint in JSON
and XML, each JSON answer validated against the spec's JSON Schemas and each XML answer
checked to carry the same data; a report posted with an API key read back by id, in the list
with every filter and in the updates; never a reporter's identity on the public side."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from jsonschema.exceptions import ValidationError

from dieuhanh.core.db import Database, utcnow
from dieuhanh.core.i18n import gettext
from dieuhanh.core.security import Role
from dieuhanh.domains.feedback.models import Attachment, Report, ReportEvent
from dieuhanh.domains.feedback.views import EVENT_TEXT
from tests.conformance.open311_schemas import (
    JSON_TYPE,
    same_data,
    spec_errors,
    valid_json,
    validator,
    xml_root,
)
from tests.fixtures.app import LiveServer
from tests.fixtures.auth import ADMIN, AGENCY48, OPERATOR48, ClientFactory, api_key_for

BASE = "/open311/v2"
PRIVATE = ("Phạm Văn Nam", "Phạm", "0912345678", "nam@example.vn")


def form(key: str, **overrides: str) -> dict[str, str]:
    data = {
        "api_key": key,
        "service_code": "an-toan-thuc-pham",
        "lat": "16.054",
        "long": "108.202",
        "address_string": "25 Âu Cơ, phường Hòa Khánh",
        "first_name": "Văn Nam",
        "last_name": "Phạm",
        "phone": "0912345678",
        "email": "nam@example.vn",
        "device_id": "tt222111",
        "account_id": "123456",
        "description": "Quán cơm bán đồ ăn ôi thiu, nhiều người bị đau bụng sau khi ăn.",
        "media_url": "https://example.org/anh.jpg",
        "attribute[poisoning]": "yes",
        "attribute[business]": "Quán cơm Bà Năm",
    }
    return data | overrides


def post(client: httpx.Client, fmt: str, data: dict[str, Any], **kw: Any) -> httpx.Response:
    return client.post(f"{BASE}/requests.{fmt}", data=data, **kw)


def event_text(kind: str) -> str:
    """How the public side words an event (the follow page's wording, in Vietnamese)."""
    return gettext(EVENT_TEXT[kind], "vi")


def no_identity(*responses: httpx.Response) -> None:
    for response in responses:
        text = response.content.decode("utf-8")
        for private in PRIVATE:
            assert private not in text


def test_the_schemas_do_refuse_wrong_answers() -> None:
    """The checks below can fail: a request without its id, a bad date, a wrong status."""
    good = {
        "service_request_id": "PA-2607-ABCDEF",
        "status": "open",
        "service_code": "y-te",
        "requested_datetime": "2026-07-15T08:30:00+07:00",
    }
    validator("requests.json").validate([good])
    for bad in (
        {k: v for k, v in good.items() if k != "service_request_id"},
        good | {"requested_datetime": "15/07/2026"},
        good | {"status": "new"},
        good | {"lat": "16.05"},
        good | {"media_url": "/feedback/media/1"},
    ):
        with pytest.raises(ValidationError):
            validator("requests.json").validate([bad])
    with pytest.raises(ValidationError):
        validator("services.json").validate([{"service_code": "y-te", "metadata": "no"}])


def test_discovery_services_and_definitions(live_server: LiveServer) -> None:
    with live_server.client() as client:
        found = valid_json(client.get(f"{BASE}/discovery.json"), None)
        assert set(found) == {"changeset", "contact", "key_service", "endpoints"}
        (endpoint,) = found["endpoints"]
        assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
        assert endpoint["url"] == f"{live_server.url}/open311/v2"
        assert endpoint["type"] == "production"
        assert endpoint["formats"] == ["text/xml; charset=utf-8", JSON_TYPE]
        assert "1022" in found["contact"]
        same_data(xml_root(client.get(f"{BASE}/discovery.xml"), "discovery"), found)

        services = valid_json(client.get(f"{BASE}/services.json"), "services.json")
        by_code = {s["service_code"]: s for s in services}
        assert list(by_code)[:3] == ["trat-tu-do-thi", "moi-truong-ve-sinh", "an-toan-thuc-pham"]
        food = by_code["an-toan-thuc-pham"]
        assert food["service_name"] == "An toàn thực phẩm"
        assert (food["metadata"], food["type"], food["group"]) == (True, "realtime", "pilot")
        assert food["keywords"] == "thực phẩm, ngộ độc, quán ăn, hết hạn"
        assert by_code["giao-thong"]["metadata"] is False
        assert by_code["giao-thong"]["group"] is None
        same_data(xml_root(client.get(f"{BASE}/services.xml"), "services"), services, "service")
        english = valid_json(
            client.get(f"{BASE}/services.json", headers={"Accept-Language": "en"}), "services.json"
        )
        assert english[2]["service_name"] == "Food safety"
        by_param = client.get(f"{BASE}/services.json", params={"locale": "en"}).json()
        assert by_param == english
        # an empty optional parameter is the same as none
        assert client.get(f"{BASE}/services.json", params={"locale": ""}).json() == services

        definition = valid_json(
            client.get(f"{BASE}/services/an-toan-thuc-pham.json"), "service-definition.json"
        )
        assert definition["service_code"] == "an-toan-thuc-pham"
        business, poisoning = definition["attributes"]
        assert (business["code"], business["datatype"], business["required"]) == (
            "business",
            "string",
            False,
        )
        assert business["values"] == []
        assert business["datatype_description"] is None
        assert (poisoning["order"], poisoning["required"], poisoning["variable"]) == (2, True, True)
        assert poisoning["description"] == "Có người bị ngộ độc không?"
        assert poisoning["values"] == [{"key": "yes", "name": "Có"}, {"key": "no", "name": "Không"}]
        assert poisoning["datatype_description"]
        xml = xml_root(client.get(f"{BASE}/services/an-toan-thuc-pham.xml"), "service_definition")
        same_data(xml, definition)
        assert xml.findtext("attributes/attribute[2]/values/value[1]/name") == "Có"
        none = valid_json(client.get(f"{BASE}/services/giao-thong.json"), "service-definition.json")
        assert none == {"service_code": "giao-thong", "attributes": []}

        assert spec_errors(client.get(f"{BASE}/services/khong-co.json"), 404)
        assert spec_errors(client.get(f"{BASE}/services/khong-co.xml"), 404, "xml")
        unknown_format = client.get(f"{BASE}/services.csv")
        assert "xml" in spec_errors(unknown_format, 400, "xml")[0]


def test_post_with_a_key_then_read_it_back(
    live_server: LiveServer, database: Database, client_as: ClientFactory
) -> None:
    key = api_key_for(database, role=Role.OPERATOR, scope="48", name="Ứng dụng Open311")
    prefix = key[: len("dh_") + 8]  # dh_<8 hex>, how the key is named
    with live_server.client() as client:
        created = valid_json(post(client, "json", form(key)), None)
        validator("post-requests.json").validate(created)
        (item,) = created
        code = item["service_request_id"]
        assert code.startswith("PA-")
        assert item["account_id"] == "123456"  # the client's own, echoed
        assert "Sở Y tế thành phố Đà Nẵng" in item["service_notice"]
        assert code in item["service_notice"]
        as_xml = xml_root(post(client, "xml", form(key)), "service_requests")
        second = as_xml.findtext("request/service_request_id")
        assert second
        assert second != code
        assert [c.tag for c in as_xml.find("request")] == [  # type: ignore[union-attr]
            "service_request_id",
            "service_notice",
            "account_id",
        ]
        # an Idempotency-Key makes a retry return the first report
        once = post(client, "json", form(key), headers={"Idempotency-Key": "o311-1"}).json()
        again = post(client, "json", form(key), headers={"Idempotency-Key": "o311-1"}).json()
        assert once[0]["service_request_id"] == again[0]["service_request_id"]

        one = valid_json(client.get(f"{BASE}/requests/{code}.json"), "requests.json")
        (request,) = one
        assert request["service_request_id"] == code
        assert (request["status"], request["service_code"]) == ("open", "an-toan-thuc-pham")
        assert request["service_name"] == "An toàn thực phẩm"
        assert request["agency_responsible"] == "Sở Y tế thành phố Đà Nẵng"
        assert request["address_id"] == "20200"
        assert (request["lat"], request["long"]) == (16.054, 108.202)
        assert request["address"] == "25 Âu Cơ, phường Hòa Khánh"
        assert request["status_notes"] == event_text("submitted")
        assert request["expected_datetime"] is None
        assert request["media_url"] is None
        assert request["requested_datetime"].endswith("+07:00")
        xml = xml_root(client.get(f"{BASE}/requests/{code}.xml"), "service_requests")
        same_data(xml, one, "request")
        english = client.get(f"{BASE}/requests/{code}.json", params={"locale": "en"}).json()
        assert english[0]["service_name"] == "Food safety"

        listed = valid_json(client.get(f"{BASE}/requests.json"), "requests.json")
        assert {r["service_request_id"] for r in listed} == {
            code,
            second,
            once[0]["service_request_id"],
        }
        xml = xml_root(client.get(f"{BASE}/requests.xml"), "service_requests")
        same_data(xml, listed, "request")
        filtered = client.get(
            f"{BASE}/requests.json",
            params={
                "service_code": "an-toan-thuc-pham,y-te",
                "status": "open",
                "start_date": (utcnow() - timedelta(days=1)).isoformat(),
                "end_date": (utcnow() + timedelta(days=1)).isoformat(),
                "page_size": "2",
            },
        )
        assert len(valid_json(filtered, "requests.json")) == 2
        page_two = client.get(f"{BASE}/requests.json", params={"page_size": "2", "page": "2"})
        assert len(page_two.json()) == 1
        assert client.get(f"{BASE}/requests.json", params={"status": "closed"}).json() == []
        assert client.get(f"{BASE}/requests.json", params={"service_code": "y-te"}).json() == []
        yesterday = (utcnow() - timedelta(days=1)).date().isoformat()
        assert client.get(f"{BASE}/requests.json", params={"end_date": yesterday}).json() == []
        picked = client.get(
            f"{BASE}/requests.json",
            params={"service_request_id": f"{code},PA-0000-ZZZZZZ", "status": "closed"},
        )
        assert [r["service_request_id"] for r in valid_json(picked, "requests.json")] == [code]
        empty = client.get(
            f"{BASE}/requests.json",
            params={
                "service_request_id": "",
                "service_code": "",
                "status": "",
                "start_date": "",
                "end_date": "",
                "page": "",
                "page_size": "",
                "jurisdiction_id": "",
            },
        )
        assert empty.json() == listed
        no_identity(
            client.get(f"{BASE}/requests.json"),
            client.get(f"{BASE}/requests.xml"),
            client.get(f"{BASE}/requests/{code}.xml"),
            client.get(f"{BASE}/servicerequestupdates.json"),
            client.get(f"{BASE}/servicerequestupdates.xml"),
        )

    staff = client_as(OPERATOR48).get(f"/api/v1/feedback/reports/{code}").json()
    assert (staff["channel"], staff["recorded_by"]) == ("open311", f"api_key:{prefix}")
    assert staff["reporter"] == {
        "name": "Phạm Văn Nam",
        "phone": "0912345678",
        "email": "nam@example.vn",
    }
    assert staff["attributes"] == {"poisoning": "yes", "business": "Quán cơm Bà Năm"}
    audit = client_as(ADMIN).get("/api/v1/auth/audit", params={"table": "feedback_reports"})
    assert f"api_key:{prefix}" in {entry["actor"] for entry in audit.json()["items"]}


def test_lists_of_values_and_updates_with_photos(
    live_server: LiveServer, database: Database, client_as: ClientFactory
) -> None:
    admin = client_as(ADMIN)
    category = {
        "code": "cay-xanh",
        "name_vi": "Cây xanh",
        "name_en": "Trees",
        "agency_kind": "people_committee",
        "attributes": [
            {
                "code": "issues",
                "datatype": "multivaluelist",
                "required": True,
                "description_vi": "Vấn đề",
                "description_en": "Issues",
                "values": [
                    {"key": "fallen", "name_vi": "Cây đổ", "name_en": "Fallen"},
                    {"key": "dead", "name_vi": "Cây chết", "name_en": "Dead"},
                    {"key": "pruning", "name_vi": "Cần tỉa", "name_en": "Needs pruning"},
                ],
            }
        ],
        "deadlines": {
            "accept": {"urgent": 2, "normal": 8, "complex": 8},
            "resolve": {"urgent": 4, "normal": 40, "complex": 80},
        },
    }
    assert admin.post("/api/v1/feedback/categories", json=category).status_code == 201
    key = api_key_for(database)
    with live_server.client() as client:
        definition = valid_json(
            client.get(f"{BASE}/services/cay-xanh.json", params={"locale": "en"}),
            "service-definition.json",
        )
        pruning = definition["attributes"][0]["values"][2]
        assert pruning == {"key": "pruning", "name": "Needs pruning"}
        trees = form(
            key,
            service_code="cay-xanh",
            # a control character XML cannot carry: dropped from the XML, not a broken document
            description="Cây phượng trước trường bị đổ,\x01 chắn nửa lòng đường <ngay> & cổng.",
        )
        del trees["attribute[poisoning]"], trees["attribute[business]"]
        body: dict[str, Any] = trees | {"attribute[issues][]": ["fallen", "dead"]}
        tree = post(client, "json", body).json()[0]["service_request_id"]
        food = post(client, "json", form(key)).json()[0]["service_request_id"]
        rejected = post(client, "json", form(key)).json()[0]["service_request_id"]
    staff = client_as(OPERATOR48).get(f"/api/v1/feedback/reports/{tree}").json()
    assert staff["attributes"] == {"issues": ["dead", "fallen"]}
    assert client_as(AGENCY48).post(f"/api/v1/feedback/reports/{food}/accept").status_code == 200
    refusal = {"reason": "not_true", "note": "Đoàn kiểm tra không thấy vi phạm."}
    r = client_as(AGENCY48).post(f"/api/v1/feedback/reports/{rejected}/reject", json=refusal)
    assert r.status_code == 200, r.text
    photo, answer_photo = _publish_photos(database, tree)

    with live_server.client() as client:
        closed = valid_json(
            client.get(f"{BASE}/requests.json", params={"status": "closed"}), "requests.json"
        )
        by_id = {r["service_request_id"]: r for r in closed}
        assert set(by_id) == {rejected, tree}  # rejected, and answered
        assert by_id[rejected]["status_notes"].endswith(": Đoàn kiểm tra không thấy vi phạm.")
        assert by_id[tree]["status_notes"] == event_text("answered")
        both = client.get(f"{BASE}/requests.json", params={"status": "open,closed"}).json()
        assert len(both) == 3
        listed = valid_json(client.get(f"{BASE}/requests/{tree}.json"), "requests.json")
        assert listed[0]["media_url"] == f"{live_server.url}/feedback/media/{photo}"
        as_xml = xml_root(client.get(f"{BASE}/requests/{tree}.xml"), "service_requests")
        assert as_xml.findtext("request/description") == (
            "Cây phượng trước trường bị đổ, chắn nửa lòng đường <ngay> & cổng."
        )

        updates = valid_json(client.get(f"{BASE}/servicerequestupdates.json"), None)
        assert isinstance(updates, list)
        for update in updates:
            assert set(update) == {
                "update_id",
                "service_request_id",
                "status",
                "updated_datetime",
                "description",
                "media_url",
            }
        mine = {(u["service_request_id"], u["status"], u["description"]) for u in updates}
        assert (food, "open", event_text("accepted")) in mine
        assert (rejected, "closed") in {(u[0], u[1]) for u in mine}
        answered = [u for u in updates if u["media_url"]]
        assert [(u["service_request_id"], u["status"]) for u in answered] == [(tree, "closed")]
        assert answered[0]["media_url"] == f"{live_server.url}/feedback/media/{answer_photo}"
        xml = xml_root(client.get(f"{BASE}/servicerequestupdates.xml"), "service_request_updates")
        assert [e.tag for e in xml] == ["request_update"] * len(updates)
        assert xml.findtext("request_update[1]/update_id") == updates[0]["update_id"]
        assert [e.findtext("service_request_id") for e in xml] == [
            u["service_request_id"] for u in updates
        ]
        later = (utcnow() + timedelta(days=1)).isoformat()
        assert (
            client.get(f"{BASE}/servicerequestupdates.json", params={"start_date": later}).json()
            == []
        )


def _publish_photos(database: Database, code: str) -> tuple[int, int]:
    """A public photo of the report and an answer with its own photo, as the media and answer
    steps of the feedback domain store them."""
    now = utcnow()
    with database.transaction() as db:
        report = db.query(Report).filter(Report.code == code).one()
        rows = [
            Attachment(
                report_id=report.id,
                role=role,
                kind="image",
                media_type="image/jpeg",
                size=1000,
                sha256="0" * 64,
                private_path=f"private/{role}.jpg",
                public_path=f"public/{role}.jpg",
                public_type="image/jpeg",
                width=640,
                height=480,
                created_at=now,
            )
            for role in ("report", "answer")
        ]
        db.add_all(rows)
        report.status = "answered"
        db.add(
            ReportEvent(
                report_id=report.id,
                at=now,
                kind="answered",
                status="answered",
                actor="tests",
                public=True,
                message="",
                detail={},
            )
        )
        db.flush()
        return rows[0].id, rows[1].id
