"""CSV and Excel files of an :class:`~.exports.ExportTable`.

Choices, and why:

* **CSV is a machine format.** RFC 4180: comma-separated, ``CRLF`` line ends, UTF-8 with a
  byte-order mark (so that Excel opens Vietnamese names correctly when someone double-clicks
  the file anyway). Numbers are plain decimals with a point and no thousands separators, at
  full precision (the indicator's ``decimals`` is a display rule, not a rounding of data);
  statuses, disaggregations and the re-mapped flag are codes (``final``, ``sex=female``,
  ``true``), so a script reads the same file whatever the language. Only the header row
  follows the language (Vietnamese by default, English on request). ``;`` is available with
  ``sep=semicolon`` for spreadsheets set up for a decimal comma.
* **Excel is for people.** Vietnamese (or English) labels, typed numeric cells formatted with
  the indicator's decimals, an empty cell for a missing value (never 0), a frozen bold
  header, and a second sheet "Nguồn" with the provenance: when the file was made (in
  Asia/Ho_Chi_Minh), the query that made it, which map of units it uses, and the sources
  of the values. Written in openpyxl's write-only mode, so memory stays flat for large
  tables.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font

from dieuhanh.core.i18n import N_, TZ, gettext
from dieuhanh.core.periods import label as period_label
from dieuhanh.domains.indicators.exports import ExportQuery, ExportRow, ExportTable

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DELIMITERS = {"comma": ",", "semicolon": ";"}

# (key, English msgid) of every column, in file order.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("indicator", N_("Indicator code")),
    ("indicator_name", N_("Indicator name")),
    ("unit", N_("Unit code")),
    ("unit_name", N_("Administrative unit")),
    ("period", N_("Period")),
    ("disagg", N_("Disaggregation")),
    ("value", N_("Value")),
    ("measure_unit", N_("Unit of measure")),
    ("status", N_("Status")),
    ("coverage", N_("Coverage")),
    ("remapped", N_("Re-mapped across the 2025 reform")),
)
_STATUS_LABELS = {"final": N_("Final"), "provisional": N_("Provisional")}
_HIERARCHY_LABELS = {
    "legacy": N_("Before 1 July 2025 (63 provinces)"),
    "2025": N_("Since 1 July 2025 (34 provinces)"),
}
_WIDTHS = (14, 42, 10, 28, 10, 24, 14, 12, 12, 10, 12)
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]+")


def header(locale: str) -> list[str]:
    return [gettext(msgid, locale) for _key, msgid in COLUMNS]


def plain_number(value: float | None) -> str:
    """``1234.5``, ``1234``, ``0.000012`` — never ``1,234.5`` or ``1.2e-05``; empty = missing."""
    if value is None or not math.isfinite(value):
        return ""
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return format(Decimal(repr(value)), "f")


def _csv_row(table: ExportTable, row: ExportRow, locale: str) -> list[str]:
    indicator = table.indicators[row.indicator]
    return [
        row.indicator,
        indicator.name(locale),
        row.unit,
        row.unit_name,
        row.period,
        row.disagg,
        plain_number(row.value),
        indicator.measure_unit(locale),
        row.status or "",
        row.coverage or "",
        "true" if row.remapped else "false",
    ]


def to_csv(table: ExportTable, *, locale: str = "vi", sep: str = "comma") -> bytes:
    """The table as UTF-8 CSV with a BOM (see the module notes)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=DELIMITERS[sep], lineterminator="\r\n")
    writer.writerow(header(locale))
    writer.writerows(_csv_row(table, row, locale) for row in table.rows)
    return buffer.getvalue().encode("utf-8-sig")


def number_format(decimals: int) -> str:
    """Excel's format code for ``decimals`` places (Excel localises the separators)."""
    return "#,##0" + ("." + "0" * decimals if decimals > 0 else "")


def _bold(ws: Any, value: Any) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=value)
    cell.font = Font(bold=True)
    cell.alignment = Alignment(vertical="top", wrap_text=True)
    return cell


def _data_sheet(wb: Workbook, table: ExportTable, locale: str) -> None:
    ws = wb.create_sheet(gettext(N_("Data"), locale))
    ws.freeze_panes = "A2"
    for index, width in enumerate(_WIDTHS):
        ws.column_dimensions[chr(ord("A") + index)].width = width
    ws.append([_bold(ws, text) for text in header(locale)])
    formats = {code: number_format(ind.decimals) for code, ind in table.indicators.items()}
    yes = gettext(N_("Yes"), locale)
    for row in table.rows:
        indicator = table.indicators[row.indicator]
        value = WriteOnlyCell(ws, value=row.value)
        value.number_format = formats[row.indicator]
        status = gettext(_STATUS_LABELS[row.status], locale) if row.status else None
        ws.append(
            [
                row.indicator,
                indicator.name(locale),
                row.unit,
                row.unit_name,
                period_label(row.period_value, locale),
                table.disagg_label(row.disagg, locale),
                value,
                indicator.measure_unit(locale),
                status,
                row.coverage,
                yes if row.remapped else None,
            ]
        )


def _provenance_sheet(wb: Workbook, table: ExportTable, locale: str) -> None:
    ws = wb.create_sheet(gettext(N_("Sources"), locale))
    ws.column_dimensions["A"].width = 28
    ws.column_dimensions["B"].width = 60
    ws.column_dimensions["C"].width = 16
    ws.column_dimensions["D"].width = 10
    local = table.generated_at.astimezone(TZ)
    hierarchy = _HIERARCHY_LABELS.get(table.hierarchy)
    lines: list[list[Any]] = [
        [
            _bold(ws, gettext(N_("Exported at"), locale)),
            local.strftime("%H:%M:%S %d/%m/%Y") + " (Asia/Ho_Chi_Minh)",
        ],
        [
            _bold(ws, gettext(N_("Map of administrative units"), locale)),
            gettext(hierarchy, locale) if hierarchy else table.hierarchy,
        ],
        [_bold(ws, gettext(N_("Rows"), locale)), len(table.rows)],
        [_bold(ws, gettext(N_("Produced by"), locale)), "Điều Hành IOC"],
        [],
        [_bold(ws, gettext(N_("Query parameters"), locale))],
    ]
    lines += [[name, value] for name, value in table.parameters.items()]
    lines += [[], [_bold(ws, gettext(N_("Data sources"), locale))]]
    lines += [[source] for source in table.sources] or [["—"]]
    lines += [
        [],
        [
            _bold(ws, gettext(N_("Indicator code"), locale)),
            _bold(ws, gettext(N_("Indicator name"), locale)),
            _bold(ws, gettext(N_("Unit of measure"), locale)),
            _bold(ws, gettext(N_("Decimals"), locale)),
        ],
    ]
    lines += [
        [ind.code, ind.name(locale), ind.measure_unit(locale), ind.decimals]
        for ind in table.indicators.values()
    ]
    for line in lines:
        ws.append(line)


def to_xlsx(table: ExportTable, *, locale: str = "vi") -> bytes:
    """The table as an Excel workbook: the data, then the provenance sheet."""
    wb = Workbook(write_only=True)
    _data_sheet(wb, table, locale)
    _provenance_sheet(wb, table, locale)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def export_filename(query: ExportQuery, extension: str) -> str:
    """``chi-tieu_CPI-IIP_48_2024-01_2026-09.csv``: what, where and when, ASCII only."""
    codes = list(query.indicators)
    what = "-".join(codes) if len(codes) <= 3 else f"{codes[0]}-{len(codes) - 1}-more"
    parts: Iterable[str | None] = (
        "chi-tieu",
        what,
        query.unit or query.parent,
        query.level,
        query.start,
        query.end,
    )
    stem = "_".join(_UNSAFE_NAME.sub("-", p) for p in parts if p)
    return f"{stem[:150]}.{extension}"


def content_disposition(filename: str) -> str:
    """An attachment header valid for every browser (the name is ASCII by construction)."""
    return f"attachment; filename=\"{filename}\"; filename*=UTF-8''{filename}"
