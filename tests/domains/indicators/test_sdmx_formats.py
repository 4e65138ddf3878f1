"""SDMX without a database: keys, codes, content negotiation, and both data formats read
back by the ``sdmx1`` package (from bytes: it never touches the network here)."""

from __future__ import annotations

import io
import json
import math
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import pytest
import sdmx

from dieuhanh.core.errors import ProblemError
from dieuhanh.domains.indicators.api_export import DATA_MEDIA, STRUCTURE_MEDIA, negotiate
from dieuhanh.domains.indicators.exports import (
    DimensionLabels,
    ExportIndicator,
    ExportRow,
    ExportTable,
)
from dieuhanh.domains.indicators.sdmx_json import to_sdmx_json
from dieuhanh.domains.indicators.sdmx_structure import (
    Flow,
    SeriesKey,
    StructureContent,
    disagg_code,
    disagg_codes,
    disagg_from_code,
    find_flow,
    parse_key,
    sdmx_dimension_at_observation,
    structure_message,
)
from dieuhanh.domains.indicators.sdmx_xml import to_generic_data

PREPARED = datetime(2026, 4, 30, 20, 15, tzinfo=UTC)
FLOW = Flow("DF_DIEUHANH", None)
KEY_NAMES = ["INDICATOR", "REF_AREA", "DISAGG", "TIME_PERIOD"]

# --- keys and codes --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("all", SeriesKey()),
        ("", SeriesKey()),
        ("CPI+IIP.48.", SeriesKey(("CPI", "IIP"), ("48",), None)),
        ("..", SeriesKey()),
        (".20194+20242._T", SeriesKey(None, ("20194", "20242"), ("",))),
        (
            "POP..sex-female+area-urban@sex-male",
            SeriesKey(("POP",), None, ("sex=female", "area=urban;sex=male")),
        ),
        ("POP..age_group-65PLUS", SeriesKey(("POP",), None, ("age_group=65+",))),
    ],
)
def test_keys(key: str, expected: SeriesKey) -> None:
    assert parse_key(key) == expected


@pytest.mark.parametrize(
    "key",
    ["CPI.48", "CPI.48..", "CPI.4 8.", "CPI.<48>.", "CPI.48.sex", "CPI.48.sex-male@area-urban"],
)
def test_bad_keys(key: str) -> None:
    with pytest.raises(ProblemError) as caught:
        parse_key(key)
    assert caught.value.code == "sdmx_invalid_key"
    assert caught.value.status == 422


@pytest.mark.parametrize(
    ("disagg", "code"),
    [
        ("", "_T"),
        ("sex=female", "sex-female"),
        ("area=urban;sex=female", "area-urban@sex-female"),
        ("age_group=65+", "age_group-65PLUS"),
        ("age_group=15-64", "age_group-15-64"),
    ],
)
def test_disaggregation_codes_go_both_ways(disagg: str, code: str) -> None:
    assert disagg_code(disagg) == code
    assert disagg_from_code(code) == disagg


def test_disaggregation_codelist_covers_every_combination() -> None:
    dims = {
        "sex": DimensionLabels(
            "sex", "Giới tính", "Sex", {"female": ("Nữ", "Female"), "male": ("Nam", "Male")}
        ),
        "area": DimensionLabels(
            "area",
            "Khu vực",
            "Area",
            {"urban": ("Thành thị", "Urban"), "rural": ("Nông thôn", "Rural")},
        ),
    }
    pop = ExportIndicator(
        "POP", "Dân số", "Population", "người", "persons", 0, "year", "x", ("sex", "area")
    )
    codes = disagg_codes([pop], dims)
    assert len(codes) == 1 + 2 + 2 + 4  # total, by sex, by area, by both
    assert codes["_T"] == ("Tổng", "Total")
    assert codes["area-rural@sex-female"] == (
        "Khu vực: Nông thôn; Giới tính: Nữ",
        "Area: Rural; Sex: Female",
    )


def test_flows() -> None:
    components = ["socioeconomic", "health"]
    assert find_flow("DF_DIEUHANH", components) == Flow("DF_DIEUHANH", None)
    assert find_flow("DIEUHANH,DF_HEALTH", components) == Flow("DF_HEALTH", "health")
    assert find_flow("DIEUHANH,DF_SOCIOECONOMIC,1.0", components).component == "socioeconomic"
    assert find_flow("all,DF_HEALTH,latest", components).component == "health"
    for bad in ("DF_NOPE", "ECB,DF_HEALTH", "DIEUHANH,DF_HEALTH,2.0", "a,b,c,d"):
        with pytest.raises(ProblemError) as caught:
            find_flow(bad, components)
        assert (caught.value.code, caught.value.status) == ("dataflow_not_found", 404)


def test_dimension_at_observation() -> None:
    assert sdmx_dimension_at_observation(None) == (3,)
    assert sdmx_dimension_at_observation("TIME_PERIOD") == (3,)
    assert sdmx_dimension_at_observation("REF_AREA") == (1,)
    assert sdmx_dimension_at_observation("AllDimensions") == (0, 1, 2, 3)
    with pytest.raises(ProblemError):
        sdmx_dimension_at_observation("FREQ")


@pytest.mark.parametrize(
    ("accept", "fmt"),
    [
        (None, "json"),
        ("*/*", "json"),
        ("application/vnd.sdmx.data+json;version=1.0.0", "json"),
        ("application/vnd.sdmx.data+json; version=1.0.0-wd", "json"),
        ("application/json", "json"),
        ("application/vnd.sdmx.genericdata+xml;version=2.1", "xml"),
        ("application/xml", "xml"),
        ("text/html, application/xml;q=0.9, */*;q=0.8", "xml"),
        ("application/json;q=0.5, application/xml", "xml"),
        ("application/vnd.sdmx.data+json;version=2.0.0, application/xml;q=0.1", "xml"),
    ],
)
def test_negotiation(accept: str | None, fmt: str) -> None:
    assert negotiate(accept, DATA_MEDIA) == fmt


@pytest.mark.parametrize(
    "accept",
    [
        "text/csv",
        "application/vnd.sdmx.data+json;version=2.0.0",
        "application/vnd.sdmx.structurespecificdata+xml;version=2.1",
        "application/xml;q=0",
    ],
)
def test_not_acceptable(accept: str) -> None:
    with pytest.raises(ProblemError) as caught:
        negotiate(accept, DATA_MEDIA)
    assert (caught.value.code, caught.value.status) == ("not_acceptable", 406)
    with pytest.raises(ProblemError):
        negotiate("application/json", STRUCTURE_MEDIA)


# --- both data formats, read back by sdmx1 ---------------------------------------------------

SEX = DimensionLabels(
    "sex", "Giới tính", "Sex", {"female": ("Nữ", "Female"), "male": ("Nam", "Male")}
)
INDICATORS = {
    "CPI": ExportIndicator(
        "CPI", "Chỉ số giá tiêu dùng", "Consumer price index", "%", "%", 2, "month", "socioeconomic"
    ),
    "POP": ExportIndicator(
        "POP", "Dân số", "Population", "người", "persons", 0, "year", "socioeconomic", ("sex",)
    ),
}
ROWS = [
    ExportRow("CPI", "48", "Thành phố Đà Nẵng", "2026-01", "", 103.25, "final"),
    ExportRow("CPI", "48", "Thành phố Đà Nẵng", "2026-02", "", None, None, 0, 94),
    ExportRow("CPI", "48", "Thành phố Đà Nẵng", "2026-03", "", 0.0, "provisional", 90, 94),
    ExportRow(
        "CPI", "20194", 'Phường "Hải Vân" <&>', "2026-01", "", 101.5, "final", None, None, True
    ),
    ExportRow("POP", "48", "Thành phố Đà Nẵng", "2025", "", 1_200_000.0, "final"),
    ExportRow("POP", "48", "Thành phố Đà Nẵng", "2025", "sex=female", 610_000.0, "final"),
    ExportRow("POP", "48", "Thành phố Đà Nẵng", "2025Q3", "sex=male", 1e-05, "provisional"),
]
EXPECTED = {
    ("CPI", "48", "_T", "2026-01"): (103.25, "A"),
    ("CPI", "48", "_T", "2026-02"): (None, "O"),
    ("CPI", "48", "_T", "2026-03"): (0.0, "P"),
    ("CPI", "20194", "_T", "2026-01"): (101.5, "E"),
    ("POP", "48", "_T", "2025"): (1_200_000.0, "A"),
    ("POP", "48", "sex-female", "2025"): (610_000.0, "A"),
    ("POP", "48", "sex-male", "2025-Q3"): (1e-05, "P"),
}


def table() -> ExportTable:
    return ExportTable(
        dict(INDICATORS), list(ROWS), "2025", dimensions={"sex": SEX}, generated_at=PREPARED
    )


def structure() -> Any:
    content = StructureContent(
        flows=[FLOW],
        include_dsd=True,
        indicators=list(INDICATORS.values()),
        areas=[("48", "Thành phố Đà Nẵng"), ("20194", "Phường Hải Vân")],
        disaggs=disagg_codes(INDICATORS.values(), {"sex": SEX}),
    )
    return sdmx.read_sdmx(io.BytesIO(structure_message(content, prepared=PREPARED)))


def as_dict(frame: pd.DataFrame) -> dict[tuple[str, ...], tuple[float | None, str | None]]:
    frame = frame.reorder_levels(KEY_NAMES)
    out = {}
    for key, row in frame.iterrows():
        value = None if math.isnan(row["value"]) else float(row["value"])
        status = row.get("OBS_STATUS")
        out[tuple(str(k) for k in key)] = (value, str(status) if status is not None else None)
    return out


@pytest.mark.parametrize("at_obs", ["TIME_PERIOD", "AllDimensions", "REF_AREA", "INDICATOR"])
def test_sdmx_json_round_trip(at_obs: str) -> None:
    body = to_sdmx_json(table(), flow=FLOW, obs_dims=sdmx_dimension_at_observation(at_obs))
    message = sdmx.read_sdmx(io.BytesIO(body))
    assert message.header.sender.id == "DIEUHANH"
    assert as_dict(sdmx.to_pandas(message, attributes="o")) == EXPECTED


def test_sdmx_json_shape() -> None:
    doc = json.loads(to_sdmx_json(table(), flow=FLOW, message_id="IREF1"))
    assert doc["header"] == {
        "id": "IREF1",
        "test": False,
        "prepared": "2026-04-30T20:15:00Z",
        "sender": {"id": "DIEUHANH", "name": "Điều Hành IOC"},
    }
    dims = doc["structure"]["dimensions"]
    assert [(d["id"], d["keyPosition"]) for d in dims["series"]] == [
        ("INDICATOR", 0),
        ("REF_AREA", 1),
        ("DISAGG", 2),
    ]
    assert [d["id"] for d in dims["series"][1]["values"]] == ["48", "20194"]
    assert dims["series"][1]["values"][1]["name"] == 'Phường "Hải Vân" <&>'
    time = dims["observation"][0]
    assert (time["id"], time["keyPosition"], time["role"]) == ("TIME_PERIOD", 3, "time")
    assert [v["id"] for v in time["values"]] == ["2025", "2025-Q3", "2026-01", "2026-02", "2026-03"]
    assert time["values"][2] == {
        "id": "2026-01",
        "name": "Tháng 1/2026",
        "start": "2026-01-01T00:00:00Z",
        "end": "2026-01-31T23:59:59Z",
    }
    attributes = doc["structure"]["attributes"]
    assert [a["id"] for a in attributes["series"]] == ["UNIT_MEASURE", "DECIMALS"]
    assert [a["id"] for a in attributes["observation"]] == ["OBS_STATUS", "COVERAGE"]
    statuses = [v["id"] for v in attributes["observation"][0]["values"]]
    coverages = [v["name"] for v in attributes["observation"][1]["values"]]
    series = doc["dataSets"][0]["series"]
    assert doc["dataSets"][0]["action"] == "Information"
    cpi_48 = series["0:0:0"]
    assert cpi_48["attributes"] == [0, 0]  # "%", 2 decimals
    february = cpi_48["observations"]["3"]
    assert february[0] is None  # missing: null, never 0
    assert statuses[february[1]] == "O"
    assert coverages[february[2]] == "0/94"
    assert cpi_48["observations"]["4"][0] == 0.0
    assert series["1:0:1"]["observations"]["0"][:1] == [610000.0]


def test_generic_data_round_trip_with_the_structure() -> None:
    dsd = structure().structure["DSD_DIEUHANH"]
    for at_obs in ("TIME_PERIOD", "AllDimensions", "REF_AREA", "DISAGG"):
        body = to_generic_data(table(), obs_dims=sdmx_dimension_at_observation(at_obs))
        message = sdmx.read_sdmx(io.BytesIO(body), structure=dsd)
        frame = sdmx.to_pandas(message, attributes="osd")
        assert as_dict(frame) == EXPECTED, at_obs
        assert set(frame["UNIT_MEASURE"]) == {"%", "người"}


def test_generic_data_shape() -> None:
    body = to_generic_data(table(), locale="en", message_id="IREF2")
    assert body.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    text = body.decode("utf-8")
    assert (
        '<message:GenericData xmlns:message="http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message"'
        in text
    )
    assert "<message:ID>IREF2</message:ID>" in text
    assert (
        '<message:Structure structureID="DSD_DIEUHANH" dimensionAtObservation="TIME_PERIOD">'
        in text
    )
    assert '<Ref agencyID="DIEUHANH" id="DSD_DIEUHANH" version="1.0" />' in text
    assert '<generic:Value id="UNIT_MEASURE" value="persons" />' in text
    assert '<generic:ObsDimension value="2026-02" /><generic:ObsValue value="NaN" />' in text
    assert '<generic:ObsValue value="0.00001" />' in text
    message = sdmx.read_sdmx(io.BytesIO(body))  # readable without the structure too
    assert len(message.data[0].series) == 5


def test_structure_message_reads_back() -> None:
    message = structure()
    dsd = message.structure["DSD_DIEUHANH"]
    assert [d.id for d in dsd.dimensions] == KEY_NAMES
    assert {a.id for a in dsd.attributes} == {"OBS_STATUS", "COVERAGE", "UNIT_MEASURE", "DECIMALS"}
    assert dsd.measures[0].id == "OBS_VALUE"
    assert message.dataflow["DF_DIEUHANH"].structure.id == "DSD_DIEUHANH"
    areas = message.codelist["CL_REF_AREA"]
    assert str(areas["48"].name.localizations["vi"]) == "Thành phố Đà Nẵng"
    assert str(message.codelist["CL_INDICATOR"]["POP"].name.localizations["en"]) == "Population"
    assert set(message.codelist["CL_OBS_STATUS"].items) == {"A", "P", "E", "O"}
    assert "sex-female" in message.codelist["CL_DISAGG"].items
