"""``/api/v1/indicators/export.csv|.xlsx``: files, names, languages, permissions, scope."""

from __future__ import annotations

import csv
import io

import httpx
import pytest
from openpyxl import load_workbook

from dieuhanh.core.db import Database
from dieuhanh.core.security import Role
from tests.domains.indicators.test_export_helpers import HAI_CHAU, HAI_VAN, seed_committed
from tests.fixtures.auth import (
    ADMIN48,
    CITIZEN,
    LEADER48,
    OPERATOR01,
    ClientFactory,
    api_key_for,
    bearer,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SERIES = {"indicators": "EXP_SALES", "unit": "48", "from": "2026-01", "to": "2026-03"}


@pytest.fixture
def seeded(database: Database) -> Database:
    seed_committed(database)
    return database


def read_csv(r: httpx.Response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))


def test_csv_download(seeded: Database, client_as: ClientFactory) -> None:
    r = client_as(LEADER48).get("/api/v1/indicators/export.csv", params=SERIES)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.headers["content-disposition"] == (
        'attachment; filename="chi-tieu_EXP_SALES_48_2026-01_2026-03.csv"; '
        "filename*=UTF-8''chi-tieu_EXP_SALES_48_2026-01_2026-03.csv"
    )
    rows = read_csv(r)
    assert rows[0][0] == "Mã chỉ tiêu"  # Vietnamese unless the client asks otherwise
    assert [(row[4], row[6], row[8], row[9]) for row in rows[1:]] == [
        ("2026-01", "1234.5", "final", ""),
        ("2026-02", "1300.25", "provisional", ""),
        ("2026-03", "", "", "0/94"),  # nothing reported: an empty value, never 0
    ]


def test_csv_in_english_for_a_table_of_communes(seeded: Database, client_as: ClientFactory) -> None:
    client = client_as(LEADER48)
    params = {
        "indicators": "EXP_SALES",
        "parent": "48",
        "level": "commune",
        "from": "2026-01",
        "to": "2026-01",
        "sep": "semicolon",
    }
    r = client.get(
        "/api/v1/indicators/export.csv", params=params, headers={"Accept-Language": "en"}
    )
    assert r.status_code == 200, r.text
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:4] == ["Indicator code", "Indicator name", "Unit code", "Administrative unit"]
    assert len(rows) == 1 + 94
    assert [(row[2], row[3], row[6]) for row in rows[1:] if row[6]] == [
        (HAI_CHAU, "Phường Hải Châu", "0"),
        (HAI_VAN, "Phường Hải Vân", "10"),
    ]


def test_xlsx_download(seeded: Database, client_as: ClientFactory) -> None:
    params = {
        "indicators": "EXP_SALES,EXP_POP",
        "unit": "48",
        "from": "2025-12",
        "to": "2026-02",
        "disagg": "*",
    }
    r = client_as(ADMIN48).get("/api/v1/indicators/export.xlsx", params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == XLSX
    disposition = r.headers["content-disposition"]
    assert 'filename="chi-tieu_EXP_SALES-EXP_POP_48_2025-12_2026-02.xlsx"' in disposition
    workbook = load_workbook(io.BytesIO(r.content))
    assert workbook.sheetnames == ["Số liệu", "Nguồn"]
    values = [row[6] for row in workbook["Số liệu"].iter_rows(min_row=2, values_only=True)]
    assert values == [7.5, 1234.5, 1300.25, 1_200_000, None, 610_000, None, 590_000, None]
    provenance = {row[0]: row[1] for row in workbook["Nguồn"].iter_rows(values_only=True) if row}
    assert provenance["disagg"] == "*"
    assert "Cục Thống kê" in provenance


def problem(r: httpx.Response, status: int, code: str) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == code


def test_errors_and_permissions(
    seeded: Database, client_as: ClientFactory, client: httpx.Client
) -> None:
    problem(client.get("/api/v1/indicators/export.csv", params=SERIES), 401, "not_authenticated")
    problem(
        client_as(OPERATOR01).get("/api/v1/indicators/export.csv", params=SERIES),
        403,
        "out_of_scope",
    )
    leader = client_as(LEADER48)
    problem(
        leader.get("/api/v1/indicators/export.xlsx", params={**SERIES, "indicators": "NOPE"}),
        404,
        "indicator_not_found",
    )
    problem(
        leader.get("/api/v1/indicators/export.csv", params={**SERIES, "from": "2026-13"}),
        422,
        "invalid_period",
    )
    problem(
        leader.get("/api/v1/indicators/export.csv", params={"unit": "48"}), 422, "validation_error"
    )
    problem(
        leader.get("/api/v1/indicators/export.csv", params={**SERIES, "level": "hamlet"}),
        422,
        "validation_error",
    )
    # citizens may export the public figures of their own scope
    assert client_as(CITIZEN).get("/api/v1/indicators/export.csv", params=SERIES).status_code == 200
    actions = ["indicators.read", "indicators.export"]
    token = api_key_for(seeded, role=Role.OPERATOR, scope="48", actions=actions)
    r = client.get("/api/v1/indicators/export.csv", params=SERIES, headers=bearer(token))
    assert r.status_code == 200, r.text
    assert len(read_csv(r)) == 1 + 3
    # an export shows what reading shows: a key that may not read may not export either
    for narrow in (["indicators.export"], ["indicators.read"]):
        token = api_key_for(seeded, role=Role.OPERATOR, scope="48", actions=narrow)
        r = client.get("/api/v1/indicators/export.csv", params=SERIES, headers=bearer(token))
        problem(r, 403, "forbidden")
