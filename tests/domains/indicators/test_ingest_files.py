"""Reading rows from JSON bodies, CSV and Excel files: encodings, separators, decimal
commas, header problems, every bad cell located, type sniffing and size limits."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime
from typing import Any

import pytest
from openpyxl import Workbook

from dieuhanh.core.errors import ProblemError
from dieuhanh.domains.indicators.ingest_files import (
    MAX_UPLOAD_BYTES,
    Parsed,
    detect_kind,
    rows_from_file,
    rows_from_json,
)
from dieuhanh.domains.indicators.ingest_messages import Issue
from dieuhanh.domains.indicators.schemas_ingest import MAX_ROWS

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"


def issues(parsed: Parsed) -> list[tuple[int | None, str | None, str]]:
    return [(i.row, i.column, i.code) for i in parsed.issues]


def summary(parsed: Parsed) -> list[tuple[Any, ...]]:
    return [
        (r.indicator, r.unit, r.period, r.value, r.status, r.disagg, r.hierarchy)
        for r in parsed.rows
    ]


def xlsx(rows: list[list[Any]], *, title: str = "Số liệu") -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title
    for values in rows:
        sheet.append(values)
    workbook.create_sheet("Ghi chú").append(["ignored", "sheet"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def problem(call: Any, *args: Any) -> ProblemError:
    with pytest.raises(ProblemError) as caught:
        call(*args)
    return caught.value


# --- CSV -----------------------------------------------------------------------------------------


def test_csv_with_bom_semicolons_and_decimal_commas() -> None:
    text = (
        "\ufeffIndicator;Unit;Period;Value;Status;sex\r\n"
        "T_SUM;48;2025-08;12,5;final;\r\n"
        ";;;;;\r\n"
        "T_SUM;20194;2025-09;1234.5;sơ bộ;female\r\n"
        'T_SUM;48;2025-10;"-3";Chính thức;\r\n'
    )
    parsed = rows_from_file("số liệu.csv", text.encode("utf-8"))
    assert parsed.source == "csv"
    assert parsed.issues == []
    assert summary(parsed) == [
        ("T_SUM", "48", "2025-08", 12.5, "final", {}, None),
        ("T_SUM", "20194", "2025-09", 1234.5, "provisional", {"sex": "female"}, None),
        ("T_SUM", "48", "2025-10", -3.0, "final", {}, None),
    ]
    assert parsed.row_numbers == [2, 4, 5]  # the header is row 1; the blank row 3 is skipped


def test_csv_with_commas_reads_a_comma_as_a_separator_only() -> None:
    text = (
        'indicator,unit,period,value,hierarchy\nT_SUM,48,2024-05,"1,5",Legacy\nT_SUM,48,2024,7,\n'
    )
    parsed = rows_from_file("data.CSV", text.encode())
    assert issues(parsed) == [(2, "value", "invalid_number")]
    assert summary(parsed) == [("T_SUM", "48", "2024", 7.0, "provisional", {}, None)]
    assert parsed.row_numbers == [3]


def test_every_bad_cell_is_located() -> None:
    text = (
        "indicator,unit,period,value,status,hierarchy\n"
        "T_SUM,48,2025-08,abc,final,\n"  # 2
        "T_SUM,,2025-08,1,,\n"  # 3
        "T_SUM,48,2025-08,nan,maybe,2030\n"  # 4
        "T_SUM,48,2025-08,1,,,extra\n"  # 5
        "T_SUM,48,2025-08,,,\n"  # 6
        "T_SUM,48,2025-09,2,,\n"  # 7 fine
    )
    parsed = rows_from_file("data.csv", text.encode())
    assert issues(parsed) == [
        (2, "value", "invalid_number"),
        (3, "unit", "required"),
        (4, "value", "not_finite"),
        (4, "status", "invalid_status"),
        (4, "hierarchy", "invalid_hierarchy"),
        (5, None, "extra_cells"),
        (6, "value", "required"),
    ]
    assert parsed.issues[0].render("en").message == "abc is not a number"
    assert parsed.row_numbers == [7]


def test_a_disagg_column_in_the_stored_spelling() -> None:
    text = (
        "indicator,unit,period,value,disagg\n"
        'T,48,2025-08,1,"sex=female;area=urban"\n'
        "T,48,2025-08,2,\n"
        "T,48,2025-08,3,female\n"
    )
    parsed = rows_from_file("data.csv", text.encode())
    assert [r.disagg for r in parsed.rows] == [{"sex": "female", "area": "urban"}, {}]
    assert issues(parsed) == [(4, "disagg", "invalid")]


def test_header_problems() -> None:
    parsed = rows_from_file("data.csv", b"indicator;unit;unit;amount\nX;48;2025;1\n")
    assert issues(parsed) == [
        (1, "unit", "duplicate_column"),
        (1, "period", "missing_column"),
        (1, "value", "missing_column"),
    ]
    assert parsed.issues[1].render("vi").message == "Dòng tiêu đề thiếu cột period"
    assert issues(rows_from_file("data.csv", b"")) == [(None, None, "empty_file")]
    assert issues(rows_from_file("data.csv", b"indicator,unit,period,value\n")) == [
        (None, None, "empty_file")
    ]


def test_text_that_is_not_utf8_is_refused_with_advice() -> None:
    parsed = rows_from_file("data.csv", "indicator,unit\nDân,48\n".encode("cp1258"))
    assert issues(parsed) == [(None, None, "not_utf8")]
    assert parsed.rows == []


# --- Excel ---------------------------------------------------------------------------------------


def test_xlsx_first_sheet_with_typed_cells() -> None:
    data = xlsx(
        [
            ["Indicator", "Unit", "Period", "Value", "Status", "sex", "area"],
            ["T_SUM", 48, "2025-08", 12.5, "final", None, None],
            [None, None, None, None, None, None, None],
            ["T_SUM", "20194", "2025-08", 7, None, "female", "urban"],
            ["T_SUM", 48, 2024, "8,5", None, None, None],  # decimal comma: not in xlsx
            ["T_SUM", 48, datetime(2025, 8, 1), 1, None, None, None],
        ]
    )
    parsed = rows_from_file("bao-cao.xlsx", data)
    assert parsed.source == "xlsx"
    assert issues(parsed) == [(5, "value", "invalid_number")]
    assert summary(parsed) == [
        ("T_SUM", "48", "2025-08", 12.5, "final", {}, None),
        ("T_SUM", "20194", "2025-08", 7.0, "provisional", {"area": "urban", "sex": "female"}, None),
        ("T_SUM", "48", "2025-08-01", 1.0, "provisional", {}, None),  # a date cell is a day
    ]
    assert parsed.row_numbers == [2, 4, 6]


def test_damaged_workbooks() -> None:
    data = xlsx([["indicator", "unit", "period", "value"]])
    cut = problem(rows_from_file, "data.xlsx", data[: len(data) // 2])  # no longer a zip
    assert cut.code == "unsupported_media_type"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", "<not a workbook")
    parsed = rows_from_file("data.xlsx", buffer.getvalue())  # a zip that claims to be one
    assert issues(parsed) == [(None, None, "bad_file")]
    assert parsed.rows == []


# --- what a file is ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("image.csv", PNG),  # a PNG renamed .csv
        ("data.csv", b"PK\x03\x04" + b"\x00" * 40),  # a zip (an .xlsx) renamed .csv
        ("data.xlsx", b"indicator,unit,period,value\n"),  # text renamed .xlsx
        ("data.txt", b"indicator,unit,period,value\n"),  # neither extension
        ("data.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 40),  # old Excel
        ("report.pdf.csv", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"),
    ],
)
def test_files_are_sniffed_not_trusted(name: str, content: bytes) -> None:
    refused = problem(rows_from_file, name, content)
    assert (refused.code, refused.status) == ("unsupported_media_type", 415)


def test_detected_kinds() -> None:
    assert detect_kind("a.csv", "chỉ tiêu,đơn vị\n".encode()) == "csv"
    assert detect_kind("A.XLSX", xlsx([["indicator"]])) == "xlsx"


def test_too_large_files_and_too_many_rows() -> None:
    big = problem(rows_from_file, "data.csv", b"a" * (MAX_UPLOAD_BYTES + 1))
    assert (big.code, big.status) == ("payload_too_large", 413)
    lines = ["indicator,unit,period,value", *(["T,48,2025-01,1"] * (MAX_ROWS + 1))]
    many = problem(rows_from_file, "data.csv", "\n".join(lines).encode())
    assert (many.code, many.status) == ("payload_too_large", 413)
    exactly = rows_from_file("data.csv", "\n".join(lines[:-1]).encode())
    assert len(exactly.rows) == MAX_ROWS


# --- JSON ----------------------------------------------------------------------------------------


def test_json_rows_are_checked_one_by_one() -> None:
    body = (
        '{"rows": ['
        '{"indicator": "T", "unit": "48", "period": "2025-08", "value": 1},'
        '{"indicator": "T", "unit": "48", "period": "2025-08", "value": NaN},'
        '{"indicator": "T", "unit": "48", "period": "2025-08", "value": "x", "colour": 1},'
        '"not a row",'
        '{"indicator": "T", "unit": "48", "period": "2025-09", "value": "2.5"}'
        "]}"
    )
    parsed = rows_from_json(body.encode())
    assert issues(parsed) == [
        (2, "value", "not_finite"),
        (3, "value", "invalid_number"),
        (3, "colour", "unknown_field"),
        (4, None, "invalid"),
    ]
    assert [(r.period, r.value) for r in parsed.rows] == [("2025-08", 1.0), ("2025-09", 2.5)]
    assert parsed.row_numbers == [1, 5]
    clean = rows_from_json(
        b'{"rows": [{"indicator": "T", "unit": "48", "period": "2025", "value": 1}]}'
    )
    assert (clean.row_numbers, clean.issues, len(clean.rows)) == (None, [], 1)


@pytest.mark.parametrize(
    "body", [b"{", b"[]", b'{"rows": {}}', b'{"rows": [], "extra": 1}', b"\xff\xfe"]
)
def test_a_malformed_envelope_is_a_validation_error(body: bytes) -> None:
    refused = problem(rows_from_json, body)
    assert (refused.code, refused.status) == ("validation_error", 422)
    assert refused.errors[0]["location"] == ["body"]


def test_more_than_the_row_limit_is_too_large() -> None:
    row = {"indicator": "T", "unit": "48", "period": "2025-08", "value": 1}
    refused = problem(rows_from_json, json.dumps({"rows": [row] * (MAX_ROWS + 1)}).encode())
    assert (refused.code, refused.status) == ("payload_too_large", 413)


def test_issue_messages_are_rendered_per_locale() -> None:
    issue = Issue("duplicate", row=3, column=None, params={"first": 2})
    assert issue.render("en").message == (
        "Same indicator, unit, period and disaggregation as row 2"
    )
    assert issue.render("vi").message == "Trùng chỉ tiêu, đơn vị, kỳ và phân tổ với dòng 2"
