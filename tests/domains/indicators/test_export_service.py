"""Export tables, CSV and Excel files, read back with the csv module and openpyxl."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from dieuhanh.core.errors import ProblemError
from dieuhanh.core.security import Actor, Role
from dieuhanh.domains.indicators import service
from dieuhanh.domains.indicators.exports_files import plain_number
from dieuhanh.domains.units import service as units
from tests.domains.indicators.test_export_helpers import (
    DA_NANG_NAME,
    HAI_CHAU,
    HAI_CHAU_NAME,
    HAI_VAN,
    HAI_VAN_NAME,
    seed_export_data,
)

ADMIN = Actor(kind="user", id=1, name="tester", role=Role.ADMIN)


def scoped(session: Session, code: str) -> Actor:
    unit = units.get_unit(db=session, code=code, hierarchy="2025")
    return Actor(kind="user", id=2, name="scoped", role=Role.LEADER, scope_unit_id=unit.id)


def values(table: service.ExportTable) -> list[tuple[object, ...]]:
    return [
        (r.indicator, r.unit, r.period, r.disagg, r.value, r.status, r.coverage, r.remapped)
        for r in table.rows
    ]


@pytest.fixture
def data(session: Session) -> Session:
    seed_export_data(session)
    return session


def test_series_is_the_query_apis(data: Session) -> None:
    query = service.ExportQuery(
        indicators=("EXP_SALES",), unit="48", start="2025-04", end="2026-03"
    )
    table = service.export_table(db=data, actor=scoped(data, "48"), query=query)
    gap = (None, None, "0/94", False)  # nothing reported: no value (never 0), 0 of 94 communes
    assert values(table) == [
        ("EXP_SALES", "48", "2025-04", "", *gap),
        ("EXP_SALES", "48", "2025-05", "", 1300.0, "final", None, True),  # legacy 48 + 49
        *[("EXP_SALES", "48", f"2025-{m:02d}", "", *gap) for m in range(6, 12)],
        ("EXP_SALES", "48", "2025-12", "", 7.5, "final", "1/94", False),  # Hải Vân's alone
        ("EXP_SALES", "48", "2026-01", "", 1234.5, "final", None, False),  # 48's own value
        ("EXP_SALES", "48", "2026-02", "", 1300.25, "provisional", None, False),
        ("EXP_SALES", "48", "2026-03", "", *gap),
    ]
    assert {r.unit_name for r in table.rows} == {DA_NANG_NAME}
    assert table.hierarchy == "2025"
    assert table.sources == ["Cục Thống kê", "Quảng Nam", "UBND phường"]  # not Hà Nội's
    assert table.parameters == {
        "indicators": "EXP_SALES",
        "unit": "48",
        "start": "2025-04",
        "end": "2026-03",
    }


def test_table_of_communes_keeps_a_zero(data: Session) -> None:
    query = service.ExportQuery(
        indicators=("EXP_SALES",), parent="48", level="commune", start="2026-01", end="2026-01"
    )
    table = service.export_table(db=data, actor=ADMIN, query=query)
    assert len(table.rows) == 94  # every commune of Đà Nẵng, the province's row left out
    reported = [(r.unit, r.unit_name, r.value, r.status) for r in table.rows if r.value is not None]
    assert reported == [  # Vietnamese dictionary order: Châu before Vân
        (HAI_CHAU, HAI_CHAU_NAME, 0.0, "final"),
        (HAI_VAN, HAI_VAN_NAME, 10.0, "final"),
    ]
    assert {r.coverage for r in table.rows if r.value is None} == {"0/1"}


def test_each_indicator_at_its_own_cadence_or_coarser(data: Session) -> None:
    query = service.ExportQuery(
        indicators=("EXP_SALES", "EXP_POP"), unit="48", start="2025-11", end="2026"
    )
    table = service.export_table(db=data, actor=ADMIN, query=query)
    # months from November 2025 to December 2026; the yearly one stays yearly
    assert [r.period for r in table.rows if r.indicator == "EXP_SALES"] == [
        "2025-11",
        "2025-12",
        *[f"2026-{m:02d}" for m in range(1, 13)],
    ]
    assert [(r.period, r.value) for r in table.rows if r.indicator == "EXP_POP"] == [
        ("2025", 1_200_000.0),
        ("2026", None),
    ]
    query = service.ExportQuery(
        indicators=("EXP_SALES",), unit="48", period_type="quarter", start="2026", end="2026"
    )
    table = service.export_table(db=data, actor=ADMIN, query=query)
    assert [(r.period, r.value) for r in table.rows] == [
        ("2026Q1", 1234.5 + 1300.25),  # summed over time: March missing, not 0
        ("2026Q2", None),
        ("2026Q3", None),
        ("2026Q4", None),
    ]
    assert table.rows[0].status == "provisional"


def test_disaggregations(data: Session) -> None:
    def rows(disagg: str) -> list[tuple[str, float | None]]:
        query = service.ExportQuery(
            indicators=("EXP_POP",), unit="48", start="2025", end="2025", disagg=disagg
        )
        table = service.export_table(db=data, actor=ADMIN, query=query)
        return [(r.disagg, r.value) for r in table.rows]

    assert rows("") == [("", 1_200_000.0)]
    assert rows("sex=female") == [("sex=female", 610_000.0)]
    assert rows("*") == [("", 1_200_000.0), ("sex=female", 610_000.0), ("sex=male", 590_000.0)]


def test_scope_and_unknown_codes(data: Session) -> None:
    query = service.ExportQuery(indicators=("EXP_SALES",), unit="48")
    with pytest.raises(ProblemError) as caught:
        service.export_table(db=data, actor=scoped(data, "01"), query=query)
    assert caught.value.code == "out_of_scope"
    with pytest.raises(ProblemError) as caught:
        service.export_table(
            db=data, actor=ADMIN, query=service.ExportQuery(indicators=("NOPE",), unit="48")
        )
    assert caught.value.code == "indicator_not_found"
    # no unit named: a scoped user gets their own unit, an unscoped admin must choose
    mine = service.ExportQuery(indicators=("EXP_SALES",), start="2026-01", end="2026-01")
    table = service.export_table(db=data, actor=scoped(data, "48"), query=mine)
    assert [(r.unit, r.value) for r in table.rows] == [("48", 1234.5)]
    with pytest.raises(ProblemError) as caught:
        service.export_table(db=data, actor=ADMIN, query=mine)
    assert caught.value.code == "validation_error"


def _table(session: Session) -> service.ExportTable:
    query = service.ExportQuery(
        indicators=("EXP_SALES", "EXP_POP"), unit="48", start="2025-12", end="2026-02", disagg="*"
    )
    table = service.export_table(db=session, actor=ADMIN, query=query)
    table.generated_at = datetime(2026, 4, 30, 20, 15, tzinfo=UTC)  # 03:15 on 1 May in Vietnam
    return table


def test_csv_reads_back_to_the_table(data: Session) -> None:
    body = service.to_csv(_table(data), locale="vi")
    assert body.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM for Excel
    assert b"\r\n" in body
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == [
        "Mã chỉ tiêu",
        "Tên chỉ tiêu",
        "Mã đơn vị",
        "Đơn vị hành chính",
        "Kỳ báo cáo",
        "Phân tổ",
        "Giá trị",
        "Đơn vị tính",
        "Trạng thái",
        "Mức độ đầy đủ",
        "Quy đổi theo địa giới sau sắp xếp 2025",
    ]
    sales = ["EXP_SALES", "Tổng mức bán lẻ thử nghiệm", "48", DA_NANG_NAME]
    pop = ["EXP_POP", "Dân số thử nghiệm", "48", DA_NANG_NAME]
    assert rows[1:] == [
        [*sales, "2025-12", "", "7.5", "tỷ đồng", "final", "1/94", "false"],
        [*sales, "2026-01", "", "1234.5", "tỷ đồng", "final", "", "false"],
        [*sales, "2026-02", "", "1300.25", "tỷ đồng", "provisional", "", "false"],
        [*pop, "2025", "", "1200000", "người", "final", "", "false"],
        [*pop, "2026", "", "", "người", "", "0/1", "false"],
        [*pop, "2025", "sex=female", "610000", "người", "final", "", "false"],
        [*pop, "2026", "sex=female", "", "người", "", "0/1", "false"],
        [*pop, "2025", "sex=male", "590000", "người", "final", "", "false"],
        [*pop, "2026", "sex=male", "", "người", "", "0/1", "false"],
    ]


def test_csv_header_in_english_and_semicolons(data: Session) -> None:
    body = service.to_csv(_table(data), locale="en", sep="semicolon")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Indicator code", "Indicator name", "Unit code"]
    assert rows[1][1] == "Test retail sales"
    assert rows[1][7] == "billion VND"
    assert rows[2][6] == "1234.5"  # the decimal point never follows the language


def test_xlsx_reads_back_to_the_table(data: Session) -> None:
    workbook = load_workbook(io.BytesIO(service.to_xlsx(_table(data), locale="vi")))
    assert workbook.sheetnames == ["Số liệu", "Nguồn"]
    sheet = workbook["Số liệu"]
    assert sheet.freeze_panes == "A2"
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:7] == (
        "Mã chỉ tiêu",
        "Tên chỉ tiêu",
        "Mã đơn vị",
        "Đơn vị hành chính",
        "Kỳ báo cáo",
        "Phân tổ",
        "Giá trị",
    )
    assert all(cell.font.b for cell in sheet[1])
    assert [r[4:10] for r in rows[1:]] == [
        ("Tháng 12/2025", "Tổng", 7.5, "tỷ đồng", "Chính thức", "1/94"),
        ("Tháng 1/2026", "Tổng", 1234.5, "tỷ đồng", "Chính thức", None),
        ("Tháng 2/2026", "Tổng", 1300.25, "tỷ đồng", "Sơ bộ", None),
        ("Năm 2025", "Tổng", 1200000, "người", "Chính thức", None),
        ("Năm 2026", "Tổng", None, "người", None, "0/1"),  # missing: an empty cell
        ("Năm 2025", "Giới tính: Nữ", 610000, "người", "Chính thức", None),
        ("Năm 2026", "Giới tính: Nữ", None, "người", None, "0/1"),
        ("Năm 2025", "Giới tính: Nam", 590000, "người", "Chính thức", None),
        ("Năm 2026", "Giới tính: Nam", None, "người", None, "0/1"),
    ]
    assert isinstance(sheet["G2"].value, float)
    assert sheet["G2"].number_format == "#,##0.0"  # EXP_SALES has 1 decimal
    assert sheet["G5"].number_format == "#,##0"  # EXP_POP has none
    provenance = {row[0]: row[1:] for row in workbook["Nguồn"].iter_rows(values_only=True) if row}
    assert provenance["Thời điểm xuất"][0] == "03:15:00 01/05/2026 (Asia/Ho_Chi_Minh)"
    assert provenance["Bản đồ đơn vị hành chính"][0] == "Từ 01/07/2025 (34 tỉnh, thành phố)"
    assert provenance["Số dòng"][0] == 9
    assert provenance["indicators"][0] == "EXP_SALES,EXP_POP"
    assert provenance["start"][0] == "2025-12"
    assert provenance["Cục Thống kê"] == (None, None, None)
    assert provenance["EXP_SALES"] == ("Tổng mức bán lẻ thử nghiệm", "tỷ đồng", 1)


def test_xlsx_missing_value_is_an_empty_cell() -> None:
    indicator = service.ExportIndicator("X", "Chỉ tiêu X", "X", "%", "%", 2, "month", "test")
    rows = [
        service.ExportRow("X", "48", DA_NANG_NAME, "2026-01", "", None, None, 27, 30, True),
        service.ExportRow("X", "48", DA_NANG_NAME, "2026-02", "", 0.0, "final"),
    ]
    table = service.ExportTable({"X": indicator}, rows, "2025")
    sheet = load_workbook(io.BytesIO(service.to_xlsx(table, locale="en")))["Data"]
    assert sheet["G2"].value is None
    assert sheet["G3"].value == 0
    assert (sheet["J2"].value, sheet["K2"].value) == ("27/30", "Yes")
    text = service.to_csv(table).decode("utf-8-sig").splitlines()
    assert text[1].endswith(",,%,,27/30,true")
    assert text[2].endswith(",0,%,final,,false")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1234.5, "1234.5"),
        (1234.0, "1234"),
        (0.0, "0"),
        (-2.25, "-2.25"),
        (1e-05, "0.00001"),
        (1.5e20, "150000000000000000000"),
        (None, ""),
        (float("nan"), ""),
    ],
)
def test_plain_numbers(value: float | None, text: str) -> None:
    assert plain_number(value) == text


def test_file_names() -> None:
    query = service.ExportQuery(
        indicators=("CPI", "IIP"), parent="48", level="commune", start="2024-01", end="2026-09"
    )
    assert (
        service.export_filename(query, "csv") == "chi-tieu_CPI-IIP_48_commune_2024-01_2026-09.csv"
    )
    many = service.ExportQuery(indicators=("A1", "B2", "C3", "D4"), unit="48 x/../")
    assert service.export_filename(many, "xlsx") == "chi-tieu_A1-3-more_48-x-..-.xlsx"
    assert service.content_disposition("a.csv") == (
        "attachment; filename=\"a.csv\"; filename*=UTF-8''a.csv"
    )
