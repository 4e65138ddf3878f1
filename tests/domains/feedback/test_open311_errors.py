"""Malformed Open311 calls over a real server (SQLite and PostgreSQL): each is answered in
the spec's error format (JSON or XML, the code equal to the HTTP status: 403 for the
api_key, 404 for what does not exist, 400 for anything else), names the parameter at fault,
and stores nothing."""

from __future__ import annotations

from datetime import timedelta

import httpx

from dieuhanh.core.db import Database, utcnow
from dieuhanh.core.errors import CATALOG
from dieuhanh.core.i18n import gettext
from dieuhanh.core.security import Role
from tests.conformance.open311_schemas import spec_errors, valid_json
from tests.domains.feedback.test_open311 import BASE, form, post
from tests.fixtures.app import LiveServer
from tests.fixtures.auth import api_key_for, bearer


def problem_code(response: httpx.Response) -> str:
    return response.headers["x-problem-code"]


def test_bad_posts_are_refused_and_store_nothing(
    live_server: LiveServer, database: Database
) -> None:
    key = api_key_for(database)
    narrowed = api_key_for(database, role=Role.ADMIN, scope=None, actions=["units.read"])
    with live_server.client() as client:
        no_key = form(key)
        del no_key["api_key"]
        assert spec_errors(post(client, "json", no_key), 403) == ["api_key: chưa cung cấp api_key"]
        assert spec_errors(post(client, "xml", form("")), 403, "xml") == [
            "api_key: chưa cung cấp api_key"
        ]
        wrong = post(client, "json", form("dh_00000000_" + "x" * 43))
        assert spec_errors(wrong, 403) == [gettext(CATALOG["invalid_api_key"].title, "vi")]
        assert problem_code(wrong) == "invalid_api_key"
        assert "www-authenticate" not in wrong.headers
        english = post(client, "xml", form("nope"), headers={"Accept-Language": "en"})
        assert spec_errors(english, 403, "xml") == ["The API key is invalid, expired or revoked"]
        assert problem_code(post(client, "json", form(narrowed))) == "forbidden"
        assert spec_errors(post(client, "json", form(narrowed)), 403)

        missing = spec_errors(post(client, "json", form(key, service_code="")), 400)
        assert missing == ["service_code: chưa cung cấp service_code"]
        unknown = post(client, "xml", form(key, service_code="khong-ton-tai"))
        assert spec_errors(unknown, 404, "xml")
        assert problem_code(unknown) == "category_not_found"
        required = post(client, "json", form(key, **{"attribute[poisoning]": ""}))
        assert spec_errors(required, 400) == ["attribute[poisoning]: an answer is required"]
        outside_list = post(client, "json", form(key, **{"attribute[poisoning]": "maybe"}))
        assert spec_errors(outside_list, 400)[0].startswith("attribute[poisoning]: expected one")
        stranger = post(client, "json", form(key, **{"attribute[colour]": "red"}))
        assert spec_errors(stranger, 400) == [
            "attribute[colour]: this category has no such question"
        ]
        far_north = spec_errors(post(client, "json", form(key, lat="91")), 400)
        assert far_north[0].startswith("lat: ")
        far_east = spec_errors(post(client, "xml", form(key, long="-181")), 400, "xml")
        assert far_east[0].startswith("long: ")
        assert spec_errors(post(client, "json", form(key, lat="north")), 400) == ["lat: cần một số"]
        assert spec_errors(post(client, "json", form(key, lat="nan")), 400) == ["lat: cần một số"]
        paris = post(client, "json", form(key, lat="48.8566", long="2.3522"))
        assert spec_errors(paris, 400)
        assert problem_code(paris) == "location_outside"
        nowhere = form(key, lat="", long="", address_string="", address_id="")
        assert spec_errors(post(client, "json", nowhere), 400) == [
            "lat: cần lat và long, address_string hoặc address_id"
        ]
        half = spec_errors(post(client, "json", form(key, long="", address_string="")), 400)
        assert half == ["lat: cần lat và long, address_string hoặc address_id"]
        nameless = post(client, "json", form(key, first_name="", last_name="", phone=""))
        assert problem_code(nameless) == "reporter_required"
        assert sorted(spec_errors(nameless, 400)) == [
            "first_name/last_name: required",
            "phone: required",
        ]
        short = spec_errors(post(client, "json", form(key, description="ngắn")), 400)
        assert short[0].startswith("description: ")
        bad_phone = spec_errors(post(client, "json", form(key, phone="gọi tôi")), 400)
        assert bad_phone[0].startswith("phone: ")
        bad_media = spec_errors(post(client, "json", form(key, media_url="file:///etc/x")), 400)
        assert bad_media == ["media_url: cần một địa chỉ URL http hoặc https"]
        unknown_unit = post(client, "json", form(key, lat="", long="", address_id="99999"))
        assert spec_errors(unknown_unit, 400)[0].startswith("address_id")
        upload = client.post(
            f"{BASE}/requests.json", data=form(key), files={"media": ("a.jpg", b"\xff\xd8")}
        )
        assert spec_errors(upload, 400)[0].startswith("media: ")
        json_body = client.post(f"{BASE}/requests.json", json=form(key))
        assert spec_errors(json_body, 403)  # not a form: no api_key was sent

        assert valid_json(client.get(f"{BASE}/requests.json"), "requests.json") == []
        # ... and the same key does store a good one
        assert post(client, "json", form(key)).status_code == 200
        assert len(client.get(f"{BASE}/requests.json").json()) == 1


def test_bad_queries_and_unknown_resources(live_server: LiveServer) -> None:
    with live_server.client() as client:
        url = f"{BASE}/requests.json"
        for params, name in (
            ({"start_date": "15/07/2026"}, "start_date"),
            ({"end_date": "2026-07-15T08:30:00"}, "end_date"),  # no zone
            ({"start_date": "2026-02-30"}, "start_date"),
            ({"start_date": "2026-07-15T25:00:00Z"}, "start_date"),
            ({"end_date": "yesterday"}, "end_date"),
        ):
            described = spec_errors(client.get(url, params=params), 400)
            assert described[0].startswith(f"{name}: cần ngày theo định dạng W3C")
        too_long = {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}
        assert spec_errors(client.get(url, params=too_long), 400) == [
            "end_date: khoảng thời gian không được dài quá 90 ngày"
        ]
        backwards = {"start_date": "2026-06-01", "end_date": "2026-05-01"}
        assert spec_errors(client.get(url, params=backwards), 400) == [
            "start_date: start_date ở sau end_date"
        ]
        ninety = {"start_date": "2026-01-01", "end_date": "2026-03-31"}  # 90 days, inclusive
        assert valid_json(client.get(url, params=ninety), "requests.json") == []
        assert spec_errors(client.get(url, params={"status": "pending"}), 400) == [
            "status: cần open hoặc closed"
        ]
        assert spec_errors(client.get(url, params={"page_size": "0"}), 400) == [
            "page_size: cần một số nguyên từ 1 đến 1000"
        ]
        assert spec_errors(client.get(url, params={"page_size": "1001"}), 400)
        assert spec_errors(client.get(url, params={"page": "-1"}), 400)
        assert spec_errors(client.get(url, params={"service_code": "khong-co"}), 404)
        assert spec_errors(client.get(url, params={"status": "x" * 101}), 400)[0].startswith(
            "status: "
        )
        english = client.get(url, params={"status": "pending", "locale": "en"})
        assert spec_errors(english, 400) == ["status: expected open or closed"]
        as_xml = client.get(f"{BASE}/requests.xml", params={"start_date": "bad"})
        assert spec_errors(as_xml, 400, "xml")[0].startswith("start_date: ")
        later = (utcnow() + timedelta(days=1)).isoformat()
        updates = f"{BASE}/servicerequestupdates.json"
        assert client.get(updates, params={"start_date": later, "end_date": ""}).json() == []
        assert spec_errors(client.get(updates, params={"end_date": "bad"}), 400)

        assert spec_errors(client.get(f"{BASE}/requests/PA-0000-ZZZZZZ.json"), 404)
        assert spec_errors(client.get(f"{BASE}/requests/PA-0000-ZZZZZZ.xml"), 404, "xml")
        for fmt in ("json", "xml"):
            token = client.get(f"{BASE}/tokens/12345.{fmt}")
            assert spec_errors(token, 404, fmt)[0].startswith("token: ")
        assert spec_errors(client.get(f"{BASE}/requests.html"), 400, "xml") == [
            "format: dùng xml hoặc json"
        ]
        assert spec_errors(client.get(f"{BASE}/nothing.json"), 404)
        assert spec_errors(client.get(f"{BASE}/services"), 404, "xml")
        wrong_method = client.delete(f"{BASE}/services.json")
        assert spec_errors(wrong_method, 405)
        assert wrong_method.headers["allow"] == "GET"
        assert client.put(f"{BASE}/requests.xml").headers["allow"] == "GET, POST"
        bad_bearer = client.get(f"{BASE}/services.json", headers=bearer("dh_nope"))
        assert spec_errors(bad_bearer, 403)
        assert problem_code(bad_bearer) == "invalid_api_key"
        # the rest of the API keeps its own error format
        other = client.get("/api/v1/feedback/track/PA-0000-ZZZZZZ")
        assert other.headers["content-type"].startswith("application/problem+json")
