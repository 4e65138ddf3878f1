"""The life of a report through the API over a real server (SQLite and PostgreSQL), with real
photos: a citizen reports with a phone photo, the agency accepts, an answer without its
evidence is refused and publishes nothing, an answer with an "after" photo taken on the spot
is published, the citizen says "chưa xử lý" (reopened), the agency answers again, the citizen
says "đã xử lý" with a rating. Public copies carry no metadata; originals are staff-only.
Duplicates are suggested and merged, and the merged reporter sees the single answer."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from PIL import Image

from tests.domains.feedback.test_api import BASE, problem
from tests.domains.feedback.test_media import exif_with, jpeg, two_tone
from tests.fixtures.app import LiveServer
from tests.fixtures.auth import AGENCY48, CITIZEN, OPERATOR48, ClientFactory

HERE = (16.054, 108.202)
VN = timedelta(hours=7)


def dms(value: float) -> tuple[float, float, float]:
    """Degrees, minutes, seconds as EXIF writes them (seconds rounded to 1/1000)."""
    seconds = round(value * 3600, 3)
    degrees, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return float(degrees), float(minutes), round(seconds, 3)


def photo(at: datetime, where: tuple[float, float] | None = HERE) -> bytes:
    """A phone photo taken at ``at`` (UTC) at ``where``, with its EXIF."""
    local = (at + VN).strftime("%Y:%m:%d %H:%M:%S")
    exif = exif_with(
        taken=local,
        offset="+07:00",
        lat=dms(where[0]) if where else None,
        lon=dms(where[1]) if where else None,
    )
    return jpeg(two_tone(), exif=exif.tobytes())


def report_json(**overrides: Any) -> str:
    data: dict[str, Any] = {
        "category": "ha-tang",
        "description": "Ổ gà lớn giữa đường Nguyễn Tất Thành, xe máy dễ té ngã khi trời mưa.",
        "attributes": {"kind": "road"},
        "latitude": HERE[0],
        "longitude": HERE[1],
        "reporter": {"name": "Võ Minh Tuấn", "phone": "0935111222"},
    }
    return json.dumps(data | overrides)


def submit(client: httpx.Client, files: list[tuple[str, bytes]], **overrides: Any) -> Any:
    r = client.post(
        f"{BASE}/reports/form",
        data={"report": report_json(**overrides)},
        files=[("files", (name, data, "image/jpeg")) for name, data in files],
    )
    assert r.status_code == 201, r.text
    return r.json()


def answer(client: httpx.Client, code: str, files: list[bytes], **overrides: Any) -> httpx.Response:
    body = {
        "parts": {
            "action_taken": "Đã vá ổ gà bằng bê tông nhựa nóng, cắm biển cảnh báo.",
            "done_on": datetime.now(UTC).date().isoformat(),
        },
        "text": "Đơn vị quản lý đường bộ đã vá xong ổ gà, mặt đường đã bằng phẳng.",
    } | overrides
    return client.post(
        f"{BASE}/reports/{code}/answer",
        data={"answer": json.dumps(body)},
        files=[("files", (f"after{n}.jpg", d, "image/jpeg")) for n, d in enumerate(files)],
    )


def test_the_life_of_a_report_with_evidence(
    live_server: LiveServer, client_as: ClientFactory
) -> None:
    citizen = live_server.client()
    sent = submit(citizen, [("o-ga.jpg", photo(datetime.now(UTC)))])
    code, key = sent["code"], sent["follow_key"]
    tracked = citizen.get(f"{BASE}/track/{code}").json()
    (shown,) = tracked["media"]
    public_copy = citizen.get(shown["url"])
    assert public_copy.status_code == 200
    picture = Image.open(io.BytesIO(public_copy.content))
    assert not picture.getexif()
    assert b"Secret Phone" not in public_copy.content
    original = f"{BASE}/media/{shown['id']}/original"
    problem(citizen.get(original), 401, "not_authenticated")
    road = client_as(OPERATOR48)  # infrastructure goes to Sở Xây dựng; operators may handle
    staff_copy = road.get(original)
    assert staff_copy.status_code == 200
    assert b"Secret Phone" in staff_copy.content  # the original keeps its metadata
    assert road.post(f"{BASE}/reports/{code}/accept").status_code == 200

    # no part, no photo: refused with every problem, nothing published
    refused = problem(
        answer(road, code, [], parts={"action_taken": "ok"}, text="Đã xử lý."),
        422,
        "answer_incomplete",
    )
    where = {".".join(str(p) for p in e["location"]) for e in refused["errors"]}
    assert {"body.parts.action_taken", "body.parts.done_on", "body.text", "files"} <= where
    # a photo from before the report and far away proves nothing either
    old = photo(datetime.now(UTC) - timedelta(days=3), (16.1, 108.3))
    stale = problem(answer(road, code, [old]), 422, "answer_incomplete")
    assert {e["message"] for e in stale["errors"]} == {
        "after_photo_before_report",
        "after_photo_too_far",
    }
    assert citizen.get(f"{BASE}/track/{code}").json()["answer"] is None

    fixed = answer(road, code, [photo(datetime.now(UTC) + timedelta(minutes=1))])
    assert fixed.status_code == 200, fixed.text
    public = citizen.get(f"{BASE}/track/{code}").json()
    assert public["status"] == "answered"
    assert public["answer"]["parts"]["action_taken"].startswith("Đã vá ổ gà")
    assert len(public["answer"]["media"]) == 1

    problem(
        citizen.post(f"{BASE}/track/{code}/verdict", json={"key": "x" * 24, "resolved": True}),
        404,
        "report_not_found",
    )
    reopened = citizen.post(
        f"{BASE}/track/{code}/verdict",
        json={"key": key, "resolved": False, "comment": "Ổ gà lại bể sau trận mưa"},
    )
    assert reopened.status_code == 200, reopened.text
    assert reopened.json()["status"] == "accepted"
    assert reopened.json()["updates"][-1]["kind"] == "reopened"
    staff_view = road.get(f"{BASE}/reports/{code}").json()
    assert staff_view["resolve_due"] is not None
    assert answer(road, code, [photo(datetime.now(UTC) + timedelta(minutes=2))]).status_code == 200
    closed = citizen.post(
        f"{BASE}/track/{code}/verdict", json={"key": key, "resolved": True, "rating": 4}
    )
    assert closed.json()["status"] == "closed"
    assert closed.json()["satisfaction"] == 4
    problem(
        citizen.post(f"{BASE}/track/{code}/verdict", json={"key": key, "resolved": True}),
        409,
        "invalid_transition",
    )
    for private in ("Võ Minh Tuấn", "0935111222"):
        assert private not in citizen.get(f"{BASE}/track/{code}").text
    citizen.close()


def test_bad_uploads_store_nothing(live_server: LiveServer) -> None:
    with live_server.client() as citizen:
        pdf = b"%PDF-1.7\n" + b"0" * 2000
        r = citizen.post(
            f"{BASE}/reports/form",
            data={"report": report_json()},
            files=[("files", ("anh.jpg", pdf, "image/jpeg"))],
        )
        problem(r, 415, "media_type_not_allowed")
        broken = photo(datetime.now(UTC))[:600]
        r = citizen.post(
            f"{BASE}/reports/form",
            data={"report": report_json()},
            files=[("files", ("cut.jpg", broken, "image/jpeg"))],
        )
        problem(r, 422, "media_corrupt")
        six = [("files", (f"{n}.jpg", jpeg(), "image/jpeg")) for n in range(6)]
        problem(
            citizen.post(f"{BASE}/reports/form", data={"report": report_json()}, files=six),
            422,
            "media_too_many",
        )
        bad_json = citizen.post(
            f"{BASE}/reports/form", data={"report": report_json(description="x")}, files=[]
        )
        assert ["body", "report", "description"] in [
            e["location"] for e in problem(bad_json, 422, "validation_error")["errors"]
        ]
        problem(citizen.post(f"{BASE}/reports/form", json={}), 415, "unsupported_media_type")
        assert citizen.get(f"{BASE}/public/reports").json()["total"] == 0


def test_duplicates_are_suggested_and_merged(
    live_server: LiveServer, client_as: ClientFactory
) -> None:
    with live_server.client() as citizen:
        first = submit(citizen, [])
        second = submit(
            citizen,
            [],
            latitude=HERE[0] + 0.0008,  # ~90 m north
            description="Đường Nguyễn Tất Thành có ổ gà rất lớn, nguy hiểm cho xe máy",
        )
        submit(citizen, [], latitude=HERE[0] + 0.01)  # ~1.1 km: not the same place
        other = submit(
            citizen,
            [],
            description="Cây xanh bị đổ chắn ngang vỉa hè sau cơn bão số 13 hôm qua.",
            attributes={"kind": "tree"},
        )
    operator = client_as(OPERATOR48)
    found = operator.get(f"{BASE}/reports/{second['code']}/duplicates").json()
    assert [d["report"]["code"] for d in found] == [first["code"]]
    assert 50 < found[0]["distance_m"] < 150
    assert other["code"] not in {d["report"]["code"] for d in found}
    merged = operator.post(f"{BASE}/reports/{second['code']}/merge", json={"into": first["code"]})
    assert merged.status_code == 200, merged.text
    assert merged.json()["reporters"] == 2
    with live_server.client() as anyone:
        listed = anyone.get(f"{BASE}/public/reports").json()
        codes = {r["code"]: r for r in listed["items"]}
        assert second["code"] not in codes
        assert codes[first["code"]]["reporters"] == 2
        operator.post(f"{BASE}/reports/{first['code']}/accept")
        assert answer(operator, first["code"], [photo(datetime.now(UTC) + timedelta(minutes=1))])
        follower = anyone.get(f"{BASE}/track/{second['code']}").json()
        assert follower["status"] == "merged"
        assert follower["merged_into"] == first["code"]
        assert follower["answer"]["text"].startswith("Đơn vị quản lý đường bộ")


def test_only_handlers_answer(client_as: ClientFactory, live_server: LiveServer) -> None:
    with live_server.client() as citizen:
        code = submit(citizen, [])["code"]
    problem(answer(client_as(CITIZEN), code, []), 403, "forbidden")
    problem(answer(client_as(AGENCY48), code, []), 404, "report_not_found")  # Sở Y tế
