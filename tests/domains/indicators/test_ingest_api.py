"""The write API over a real server (both databases): JSON bulk with idempotency, CSV and
Excel uploads, every bad row answered and nothing written, type and size limits, who may
write what, batches and revisions."""

from __future__ import annotations

import io
import json
from typing import Any

import httpx
import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from dieuhanh.core.db import Database
from dieuhanh.core.security import Role
from dieuhanh.domains.indicators.models import Observation
from tests.fixtures.auth import (
    ADMIN,
    AGENCY48,
    CITIZEN,
    OPERATOR01,
    OPERATOR48,
    ClientFactory,
    api_key_for,
    bearer,
)
from tests.fixtures.indicators import make_indicator

PROBLEM = "application/problem+json"
DATA = "/api/v1/indicators/data"
UPLOAD = "/api/v1/indicators/data/upload"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"


@pytest.fixture
def catalog(database: Database) -> Database:
    with database.transaction() as db:
        make_indicator(db, "T_SUM", report_level="commune")
        make_indicator(db, "T_HEALTH", report_level="commune", owner_agency="48.SYT")
        make_indicator(db, "T_SEX", disaggregations=["sex"])
    return database


def observations(database: Database) -> int:
    with database.reading() as db:
        return db.scalar(select(func.count()).select_from(Observation)) or 0


def problem(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = r.json()
    assert (body["code"], body["status"]) == (code, status)
    return body


def rows(*items: tuple[str, str, str, float]) -> dict[str, Any]:
    return {"rows": [{"indicator": i, "unit": u, "period": p, "value": v} for i, u, p, v in items]}


def post(
    client: httpx.Client, body: Any, key: str | None = "k-1", headers: dict[str, str] | None = None
) -> httpx.Response:
    sent = {"Content-Type": "application/json", **(headers or {})}
    if key:
        sent["Idempotency-Key"] = key
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post(DATA, content=content, headers=sent)


def upload(
    client: httpx.Client, name: str, content: bytes, key: str | None = None
) -> httpx.Response:
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(UPLOAD, files={"file": (name, content)}, headers=headers)


def xlsx(table: list[list[Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for values in table:
        sheet.append(values)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_json_bulk_write_with_idempotent_retries(
    client_as: ClientFactory, catalog: Database
) -> None:
    operator = client_as(OPERATOR48)
    body = rows(("T_SUM", "48", "2025-08", 10), ("T_SUM", "20194", "2025-08", 2.5))
    created = post(operator, body)
    assert created.status_code == 201, created.text
    batch = created.json()
    assert {k: batch[k] for k in ("rows", "inserted", "updated", "unchanged", "outliers")} == {
        "rows": 2,
        "inserted": 2,
        "updated": 0,
        "unchanged": 0,
        "outliers": 0,
    }
    assert (batch["idempotency_key"], batch["source"], batch["actor"]) == (
        "k-1",
        "api",
        "user:operator48",
    )
    assert batch["replayed"] is False
    assert observations(catalog) == 2

    replay = post(operator, body)
    assert replay.status_code == 200
    assert replay.json() == {**batch, "replayed": True}
    assert observations(catalog) == 2

    conflict = problem(
        post(operator, rows(("T_SUM", "48", "2025-08", 11))), 409, "idempotency_conflict"
    )
    assert "k-1" in conflict["detail"]
    missing = problem(post(operator, body, key=None), 422, "validation_error")
    assert missing["errors"][0]["location"] == ["header", "Idempotency-Key"]
    problem(post(operator, body, key="x" * 129), 422, "validation_error")

    shown = operator.get(f"{DATA}/batches/{batch['id']}")
    assert shown.status_code == 200
    assert shown.json() == batch
    assert client_as(ADMIN).get(f"{DATA}/batches/{batch['id']}").status_code == 200
    problem(client_as(OPERATOR01).get(f"{DATA}/batches/{batch['id']}"), 404, "not_found")


def test_bad_rows_are_all_answered_in_vietnamese_and_nothing_is_written(
    client_as: ClientFactory, catalog: Database
) -> None:
    operator = client_as(OPERATOR48)
    body = {
        "rows": [
            {"indicator": "T_SUM", "unit": "48", "period": "2025-08", "value": 1},
            {"indicator": "T_NOPE", "unit": "48", "period": "2025-08", "value": 1},
            {"indicator": "T_SUM", "unit": "48", "period": "2025-08", "value": "abc"},
            {"indicator": "T_SUM", "unit": "48", "period": "tháng 8", "value": 1},
        ]
    }
    refused = problem(post(operator, body), 422, "import_failed")
    assert refused["title"] == "Dữ liệu nhập bị từ chối; chưa có gì được lưu"
    assert [(e["row"], e.get("column"), e["code"]) for e in refused["errors"]] == [
        (2, "indicator", "unknown_indicator"),
        (3, "value", "invalid_number"),
        (4, "period", "invalid_period"),
    ]
    assert refused["errors"][0]["message"] == "Không có chỉ tiêu T_NOPE"
    english = post(operator, body, key="k-2", headers={"Accept-Language": "en"})
    assert problem(english, 422, "import_failed")["errors"][0]["message"] == (
        "Unknown indicator T_NOPE"
    )
    assert observations(catalog) == 0
    # the key of a refused request stays free
    fixed = post(operator, rows(("T_SUM", "48", "2025-08", 1)))
    assert fixed.status_code == 201


def test_csv_upload_with_bom_and_semicolons_then_a_correction(
    client_as: ClientFactory, catalog: Database
) -> None:
    operator = client_as(OPERATOR48)
    first = (
        "\ufeffindicator;unit;period;value;sex\r\n"
        "T_SUM;48;2025-08;12,5;\r\n"
        "T_SEX;48;2025-08;7;female\r\n"
    )
    created = upload(operator, "so-lieu.csv", first.encode())
    assert created.status_code == 201, created.text
    assert (created.json()["inserted"], created.json()["source"]) == (2, "csv")

    second = "indicator;unit;period;value;status\nT_SUM;48;2025-08;13;final\n"
    corrected = upload(operator, "sua.csv", second.encode(), key="fix-1")
    assert (corrected.status_code, corrected.json()["updated"]) == (201, 1)
    again = upload(operator, "sua.csv", second.encode(), key="fix-1")
    assert (again.status_code, again.json()["replayed"]) == (200, True)
    other = upload(operator, "sua.csv", second.replace("13", "14").encode(), key="fix-1")
    problem(other, 409, "idempotency_conflict")

    history = operator.get(
        "/api/v1/indicators/T_SUM/revisions", params={"unit": "48", "period": "2025-08"}
    )
    assert history.status_code == 200, history.text
    body = history.json()
    assert (body["indicator"], body["unit"], body["hierarchy"], body["period"]) == (
        "T_SUM",
        "48",
        "2025",
        "2025-08",
    )
    assert [(i["revision"], i["value"], i["status"], i["current"]) for i in body["items"]] == [
        (2, 13.0, "final", True),
        (1, 12.5, "provisional", False),
    ]
    assert body["items"][0]["batch"] == corrected.json()["id"]
    female = operator.get(
        "/api/v1/indicators/T_SEX/revisions",
        params={"unit": "48", "period": "2025-08", "disagg": "sex=female"},
    )
    assert [i["value"] for i in female.json()["items"]] == [7.0]
    problem(
        operator.get(
            "/api/v1/indicators/T_SUM/revisions", params={"unit": "48", "period": "2025-09"}
        ),
        404,
        "not_found",
    )
    problem(
        operator.get(
            "/api/v1/indicators/T_SUM/revisions", params={"unit": "48", "period": "2025-99"}
        ),
        422,
        "invalid_period",
    )


def test_a_file_with_several_bad_rows_writes_nothing(
    client_as: ClientFactory, catalog: Database
) -> None:
    operator = client_as(OPERATOR48)
    text = (
        "indicator,unit,period,value\n"
        "T_SUM,48,2025-08,1\n"  # 2 fine
        "T_SUM,48,2025-08,2\n"  # 3 duplicate of 2
        "T_SUM,99999,2025-08,1\n"  # 4 unknown unit
        "T_SUM,48,2099-08,1\n"  # 5 future
        "T_SUM,48,2025-09,\n"  # 6 no value
        "T_SUM,01,2025-08,1\n"  # 7 Hà Nội: outside the operator's scope
    )
    refused = problem(upload(operator, "data.csv", text.encode()), 422, "import_failed")
    assert [(e["row"], e.get("column"), e["code"]) for e in refused["errors"]] == [
        (3, None, "duplicate"),
        (4, "unit", "unknown_unit"),
        (5, "period", "future_period"),
        (6, "value", "required"),
        (7, "unit", "out_of_scope"),
    ]
    assert observations(catalog) == 0


def test_xlsx_upload(client_as: ClientFactory, catalog: Database) -> None:
    data = xlsx(
        [
            ["indicator", "unit", "period", "value", "sex"],
            ["T_SUM", 20194, "2024-05", 3, None],  # legacy Hòa Hiệp Bắc
            ["T_SEX", 48, "2025-08", 4.5, "male"],
        ]
    )
    created = upload(client_as(OPERATOR48), "bao-cao.xlsx", data)
    assert created.status_code == 201, created.text
    assert (created.json()["inserted"], created.json()["source"]) == (2, "xlsx")
    assert observations(catalog) == 2


def test_wrong_types_and_sizes(client_as: ClientFactory, catalog: Database) -> None:
    operator = client_as(OPERATOR48)
    problem(upload(operator, "anh.csv", PNG), 415, "unsupported_media_type")
    problem(
        upload(operator, "data.xlsx", b"indicator,unit,period,value\n"),
        415,
        "unsupported_media_type",
    )
    too_big = b"indicator,unit,period,value\n" + b"T_SUM,48,2025-08,1\n" * 1_200_000  # 22.8 MB
    problem(upload(operator, "big.csv", too_big), 413, "payload_too_large")
    row = {"indicator": "T_SUM", "unit": "48", "period": "2025-08", "value": 1}
    problem(post(operator, {"rows": [row] * 100_001}), 413, "payload_too_large")
    no_file = operator.post(UPLOAD, data={"other": "x"}, files={"x": ("a.csv", b"a")})
    problem(no_file, 422, "validation_error")
    problem(post(operator, b"{not json"), 422, "validation_error")
    assert observations(catalog) == 0


def test_who_may_write_what(
    client_as: ClientFactory, client: httpx.Client, catalog: Database
) -> None:
    body = rows(("T_SUM", "48", "2025-08", 1), ("T_HEALTH", "48", "2025-08", 1))
    problem(post(client, body), 401, "not_authenticated")
    problem(post(client_as(CITIZEN), body), 403, "forbidden")
    hanoi = problem(post(client_as(OPERATOR01), body), 422, "import_failed")
    assert [(e["row"], e["code"]) for e in hanoi["errors"]] == [
        (1, "out_of_scope"),
        (2, "out_of_scope"),
    ]
    agency = problem(post(client_as(AGENCY48), body), 422, "import_failed")  # Sở Y tế
    assert [(e["row"], e["column"], e["code"]) for e in agency["errors"]] == [
        (1, "indicator", "not_owner")
    ]
    own = post(client_as(AGENCY48), rows(("T_HEALTH", "48", "2025-08", 1)), key="k-2")
    assert own.status_code == 201
    assert observations(catalog) == 1


def test_machines_write_with_api_keys(live_server: Any, catalog: Database) -> None:
    token = api_key_for(catalog, role=Role.OPERATOR, scope="48", actions=["indicators.ingest"])
    with live_server.client(headers=bearer(token)) as machine:
        created = post(machine, rows(("T_SUM", "48", "2025-08", 1)))
        assert created.status_code == 201, created.text
        assert created.json()["actor"].startswith("api_key:dh_")
        assert machine.get(f"{DATA}/batches/{created.json()['id']}").status_code == 200
        # the key may write but not read
        read = machine.get(
            "/api/v1/indicators/T_SUM/revisions", params={"unit": "48", "period": "2025-08"}
        )
        problem(read, 403, "forbidden")
