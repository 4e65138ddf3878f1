"""``/sdmx``: dataflows, the data structure and data, read back by ``sdmx1`` (from bytes),
on both databases, with the same permissions and scope as the JSON API."""

from __future__ import annotations

import io
import math
from typing import Any

import httpx
import pandas as pd
import pytest
import sdmx

from dieuhanh.core.db import Database
from dieuhanh.core.periods import Period, to_sdmx
from dieuhanh.core.security import Actor, Role
from dieuhanh.domains.indicators import service
from dieuhanh.domains.indicators.sdmx_structure import disagg_code, obs_status
from tests.domains.indicators.test_export_helpers import (
    DA_NANG_NAME,
    HAI_CHAU,
    HAI_VAN,
    seed_committed,
)
from tests.fixtures.auth import (
    ADMIN,
    ADMIN48,
    LEADER48,
    OPERATOR01,
    ClientFactory,
    api_key_for,
    bearer,
)

JSON = "application/vnd.sdmx.data+json;version=1.0.0"
GENERIC = "application/vnd.sdmx.genericdata+xml;version=2.1"
STRUCTURE = "application/vnd.sdmx.structure+xml;version=2.1"
KEY_NAMES = ["INDICATOR", "REF_AREA", "DISAGG", "TIME_PERIOD"]

# What DF_DIEUHANH/EXP_SALES+EXP_POP.48. from 2025 to 2026-03 must hold, by hand: months of
# EXP_SALES (gaps are NaN with status O, never 0; May 2025 is legacy Đà Nẵng + Quảng Nam,
# re-mapped: E; December 2025 is the roll-up of Hải Vân alone) and years of EXP_POP.
MISSING = (None, "O")
EXPECTED_48 = {
    **{("EXP_SALES", "48", "_T", f"2025-{m:02d}"): MISSING for m in range(1, 13)},
    ("EXP_SALES", "48", "_T", "2025-05"): (1300.0, "E"),
    ("EXP_SALES", "48", "_T", "2025-12"): (7.5, "A"),
    ("EXP_SALES", "48", "_T", "2026-01"): (1234.5, "A"),
    ("EXP_SALES", "48", "_T", "2026-02"): (1300.25, "P"),
    ("EXP_SALES", "48", "_T", "2026-03"): MISSING,
    ("EXP_POP", "48", "_T", "2025"): (1_200_000.0, "A"),
    ("EXP_POP", "48", "_T", "2026"): MISSING,
    ("EXP_POP", "48", "sex-female", "2025"): (610_000.0, "A"),
    ("EXP_POP", "48", "sex-female", "2026"): MISSING,
    ("EXP_POP", "48", "sex-male", "2025"): (590_000.0, "A"),
    ("EXP_POP", "48", "sex-male", "2026"): MISSING,
}


@pytest.fixture
def seeded(database: Database) -> Database:
    seed_committed(database)
    return database


def as_dict(frame: pd.DataFrame) -> dict[tuple[str, ...], tuple[float | None, str | None]]:
    frame = frame.reorder_levels(KEY_NAMES)
    out = {}
    for key, row in frame.iterrows():
        value = None if math.isnan(row["value"]) else float(row["value"])
        out[tuple(str(k) for k in key)] = (value, row.get("OBS_STATUS"))
    return out


def table_as_dict(
    table: service.ExportTable,
) -> dict[tuple[str, ...], tuple[float | None, str | None]]:
    return {
        (r.indicator, r.unit, disagg_code(r.disagg), to_sdmx(Period.parse(r.period))): (
            r.value,
            obs_status(r),
        )
        for r in table.rows
    }


def structure(client: httpx.Client) -> Any:
    r = client.get("/sdmx/datastructure/DSD_DIEUHANH", params={"references": "children"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == STRUCTURE
    return sdmx.read_sdmx(io.BytesIO(r.content))


def test_data_round_trip_in_both_formats(seeded: Database, client_as: ClientFactory) -> None:
    client = client_as(LEADER48)
    url = "/sdmx/data/DF_DIEUHANH/EXP_SALES+EXP_POP.48."
    params = {"startPeriod": "2025", "endPeriod": "2026-03"}

    r = client.get(url, params=params, headers={"Accept": JSON})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == JSON
    from_json = as_dict(sdmx.to_pandas(sdmx.read_sdmx(io.BytesIO(r.content)), attributes="o"))

    r = client.get(url, params=params, headers={"Accept": GENERIC})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == GENERIC
    dsd = structure(client).structure["DSD_DIEUHANH"]
    message = sdmx.read_sdmx(io.BytesIO(r.content), structure=dsd)
    from_xml = as_dict(sdmx.to_pandas(message, attributes="o"))

    # "our table": what the service hands to both writers for the same query
    with seeded.reading() as db:
        actor = Actor(kind="user", id=0, name="t", role=Role.LEADER, scope_unit_id=None)
        _flow, table = service.sdmx_data(
            db=db,
            actor=actor,
            flow="DF_DIEUHANH",
            key="EXP_SALES+EXP_POP.48.",
            start_period="2025",
            end_period="2026-03",
        )
    assert from_json == from_xml == table_as_dict(table) == EXPECTED_48
    coverage = {r.period: r.coverage for r in table.rows if r.indicator == "EXP_SALES"}
    assert (coverage["2025-12"], coverage["2026-03"], coverage["2026-01"]) == ("1/94", "0/94", None)


def test_zero_is_a_value_and_names_are_vietnamese(
    seeded: Database, client_as: ClientFactory
) -> None:
    client = client_as(ADMIN48)
    r = client.get(
        f"/sdmx/data/DF_TEST/EXP_SALES.{HAI_VAN}+{HAI_CHAU}._T",
        params={"format": "sdmx-json", "startPeriod": "2026-01", "endPeriod": "2026-02"},
    )
    assert r.status_code == 200, r.text
    doc = r.json()
    areas = doc["structure"]["dimensions"]["series"][1]["values"]
    assert areas == [
        {"id": HAI_VAN, "name": "Phường Hải Vân"},
        {"id": HAI_CHAU, "name": "Phường Hải Châu"},
    ]
    frame = as_dict(sdmx.to_pandas(sdmx.read_sdmx(io.BytesIO(r.content)), attributes="o"))
    assert frame == {
        ("EXP_SALES", HAI_VAN, "_T", "2026-01"): (10.0, "A"),
        ("EXP_SALES", HAI_VAN, "_T", "2026-02"): MISSING,
        ("EXP_SALES", HAI_CHAU, "_T", "2026-01"): (0.0, "A"),  # a zero is a value
        ("EXP_SALES", HAI_CHAU, "_T", "2026-02"): MISSING,
    }
    names = structure(client).codelist["CL_REF_AREA"]
    assert str(names["48"].name.localizations["vi"]) == DA_NANG_NAME
    assert "01" not in names.items  # Hà Nội is outside admin48's scope


def test_wildcard_areas_stay_in_scope(seeded: Database, client_as: ClientFactory) -> None:
    def areas(username: str) -> set[str]:
        r = client_as(username).get(
            "/sdmx/data/DF_TEST/EXP_SALES..", params={"format": "genericdata"}
        )
        assert r.status_code == 200, r.text
        frame = sdmx.to_pandas(sdmx.read_sdmx(io.BytesIO(r.content)))
        return {str(k) for k in frame.index.get_level_values("REF_AREA")}

    assert areas(ADMIN48) == {"48", HAI_VAN, HAI_CHAU}
    assert areas(ADMIN) == {"01", "48", HAI_VAN, HAI_CHAU}
    assert areas(OPERATOR01) == {"01"}


def test_dataflows_and_structure(seeded: Database, client_as: ClientFactory) -> None:
    client = client_as(LEADER48)
    r = client.get("/sdmx/dataflow")
    assert r.status_code == 200, r.text
    flows = sdmx.read_sdmx(io.BytesIO(r.content)).dataflow
    assert {"DF_DIEUHANH", "DF_TEST", "DF_CENSUS", "DF_SOCIOECONOMIC"} <= set(flows)
    assert str(flows["DF_TEST"].name.localizations["vi"]) == "Chỉ tiêu hợp phần test"
    r = client.get("/sdmx/dataflow/DIEUHANH/DF_TEST/1.0", params={"references": "all"})
    message = sdmx.read_sdmx(io.BytesIO(r.content))
    assert list(message.dataflow) == ["DF_TEST"]
    assert "EXP_SALES" in message.codelist["CL_INDICATOR"].items
    r = client.get("/sdmx/datastructure/DIEUHANH/DSD_DIEUHANH/latest")
    dsd = sdmx.read_sdmx(io.BytesIO(r.content)).structure["DSD_DIEUHANH"]
    assert [d.id for d in dsd.dimensions] == KEY_NAMES


def problem(r: httpx.Response, status: int, code: str) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == code


def test_errors(seeded: Database, client_as: ClientFactory, client: httpx.Client) -> None:
    leader = client_as(LEADER48)
    problem(leader.get("/sdmx/data/DF_NOPE/all"), 404, "dataflow_not_found")
    problem(leader.get("/sdmx/data/DF_TEST/EXP_SALES.48"), 422, "sdmx_invalid_key")
    problem(leader.get("/sdmx/data/DF_TEST/EXP_POP.48."), 404, "sdmx_no_results")  # not in DF_TEST
    problem(
        leader.get("/sdmx/data/DF_TEST/EXP_SALES.48.", params={"startPeriod": "2030"}),
        404,
        "sdmx_no_results",
    )
    problem(
        leader.get("/sdmx/data/DF_TEST/EXP_SALES.48.", params={"startPeriod": "2026-13"}),
        422,
        "invalid_period",
    )
    problem(
        leader.get("/sdmx/data/DF_TEST/EXP_SALES.48.", headers={"Accept": "text/csv"}),
        406,
        "not_acceptable",
    )
    problem(
        leader.get("/sdmx/dataflow", headers={"Accept": "application/json"}), 406, "not_acceptable"
    )
    problem(leader.get("/sdmx/datastructure/DSD_OTHER"), 404, "datastructure_not_found")
    problem(leader.get("/sdmx/data/DF_TEST/EXP_SALES.01."), 403, "out_of_scope")
    problem(leader.get("/sdmx/data/DF_TEST/EXP_SALES.99999."), 404, "unit_not_found")
    problem(client.get("/sdmx/data/DF_TEST/all"), 401, "not_authenticated")
    problem(client.get("/sdmx/dataflow"), 401, "not_authenticated")


def test_machine_clients_use_api_keys(seeded: Database, client: httpx.Client) -> None:
    actions = ["indicators.read", "indicators.export"]
    token = api_key_for(seeded, role=Role.OPERATOR, scope="48", actions=actions)
    r = client.get("/sdmx/data/DF_TEST/EXP_SALES.48.", headers={**bearer(token), "Accept": GENERIC})
    assert r.status_code == 200, r.text
    frame = sdmx.to_pandas(sdmx.read_sdmx(io.BytesIO(r.content)))
    # without startPeriod/endPeriod: from the first to the last month stored (2025-05..2026-02)
    assert len(frame) == 10
    assert sorted(frame.dropna().to_dict().values()) == [7.5, 1234.5, 1300.0, 1300.25]
    for narrow in (["indicators.read"], ["indicators.export"]):
        token = api_key_for(seeded, role=Role.OPERATOR, scope="48", actions=narrow)
        problem(client.get("/sdmx/data/DF_TEST/all", headers=bearer(token)), 403, "forbidden")
