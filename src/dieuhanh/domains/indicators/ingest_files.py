"""Reading rows from what clients send: a JSON body, a CSV file or an Excel workbook.

Every reader returns the same thing — the rows that fit the row model, their row numbers and
the issues of the rows that did not — so the write path checks a file exactly as it checks
JSON, and a rejected file lists every bad row and column at once.

Files are checked for what they *are*, not what they are called: the extension must be
``.csv`` or ``.xlsx`` *and* the content must match (text without NUL bytes or a known binary
signature for CSV; a zip holding ``xl/workbook.xml`` for Excel), else 415. CSV is UTF-8 with
or without a byte-order mark; the separator is ``,``, ``;`` or a tab, whichever the header
row uses most; with ``;`` a decimal comma (``12,5``, as Vietnamese Excel writes it) is read
as a decimal point. Header names are case-insensitive: ``indicator``, ``unit``, ``period``,
``value``, optional ``status`` (provisional/final, also p/f, sơ bộ/chính thức) and
``hierarchy`` (legacy/2025), and one column per disaggregation dimension code (an empty
cell means "not broken down by it") or one ``disagg`` column (``sex=female;area=urban``).
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import PurePath
from typing import Any

from pydantic import TypeAdapter, ValidationError

from dieuhanh.core.errors import ProblemError
from dieuhanh.domains.indicators.ingest_messages import Issue
from dieuhanh.domains.indicators.ingest_validate import model_issues, parse_disagg
from dieuhanh.domains.indicators.schemas_ingest import MAX_ROWS, ObservationIn

MAX_JSON_BYTES = 64 * 1024 * 1024  # 100,000 rows with breakdowns fit easily
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
REQUIRED_COLUMNS = ("indicator", "unit", "period", "value")
OPTIONAL_COLUMNS = ("status", "hierarchy")
STATUS_WORDS = {
    "provisional": "provisional",
    "p": "provisional",
    "sơ bộ": "provisional",
    "final": "final",
    "f": "final",
    "chính thức": "final",
}
_BINARY_SIGNATURES = (
    b"\x89PNG",
    b"\xff\xd8\xff",  # JPEG
    b"GIF8",
    b"%PDF",
    b"PK\x03\x04",  # zip (an .xlsx called .csv)
    b"\xd0\xcf\x11\xe0",  # OLE2: old .xls, .doc
    b"\x1f\x8b",  # gzip
)
_DECIMAL_COMMA = re.compile(r"[+-]?[0-9]+,[0-9]+")
_ROWS: TypeAdapter[list[ObservationIn]] = TypeAdapter(list[ObservationIn])


@dataclass
class Parsed:
    """Rows that fit the row model (with their row numbers) and issues of those that did
    not. ``row_numbers`` is ``None`` for JSON (row = index + 1)."""

    source: str
    rows: list[ObservationIn] = field(default_factory=list)
    row_numbers: list[int] | None = None
    issues: list[Issue] = field(default_factory=list)


def _too_many(count: int) -> ProblemError:
    return ProblemError(
        "payload_too_large", detail=f"{count} rows; at most {MAX_ROWS} rows per request"
    )


# --- JSON ----------------------------------------------------------------------------------------


def rows_from_json(body: bytes) -> Parsed:
    """``{"rows": [...]}``; the envelope must be right (else ``validation_error``), each row
    is checked on its own (issues per row and column)."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProblemError(
            "validation_error",
            errors=[{"location": ["body"], "message": f"not valid JSON: {exc}"}],
        ) from None
    if not isinstance(data, dict) or set(data) != {"rows"} or not isinstance(data["rows"], list):
        raise ProblemError(
            "validation_error",
            errors=[{"location": ["body"], "message": 'expected {"rows": [...]} and nothing else'}],
        )
    raw: list[Any] = data["rows"]
    if len(raw) > MAX_ROWS:
        raise _too_many(len(raw))
    parsed = Parsed(source="api")
    try:
        parsed.rows = _ROWS.validate_python(raw)
        return parsed
    except ValidationError:
        pass  # find the good rows one by one so that the other checks can run on them
    numbers: list[int] = []
    for index, item in enumerate(raw):
        try:
            parsed.rows.append(ObservationIn.model_validate(item))
            numbers.append(index + 1)
        except ValidationError as exc:
            parsed.issues.extend(model_issues(exc, [index + 1]))
    parsed.row_numbers = numbers
    return parsed


# --- files ---------------------------------------------------------------------------------------


def detect_kind(filename: str, data: bytes) -> str:
    """``"csv"`` or ``"xlsx"`` when the name and the content agree; else 415."""
    extension = PurePath(filename or "").suffix.lower()
    if extension == ".xlsx" and _is_workbook(data):
        return "xlsx"
    if extension == ".csv" and _is_text(data[:65536]):
        return "csv"
    raise ProblemError(
        "unsupported_media_type",
        detail="send a CSV (UTF-8) file named .csv or an Excel workbook named .xlsx",
    )


def _is_workbook(data: bytes) -> bool:
    if not data.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "xl/workbook.xml" in archive.namelist()
    except zipfile.BadZipFile:
        return False


def _is_text(head: bytes) -> bool:
    if head.startswith(_BINARY_SIGNATURES) or b"\x00" in head:
        return False
    controls = sum(1 for byte in head if byte < 32 and byte not in (9, 10, 13))
    return controls <= len(head) // 100


def rows_from_file(filename: str, data: bytes) -> Parsed:
    """Rows of an uploaded file (type checked first: 415 when it is neither)."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise ProblemError("payload_too_large", detail=f"at most {MAX_UPLOAD_BYTES} bytes")
    kind = detect_kind(filename, data)
    parsed = Parsed(source=kind, row_numbers=[])
    if kind == "csv":
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            parsed.issues.append(Issue("not_utf8"))
            return parsed
        records: Iterable[tuple[int, list[Any]]] = _csv_records(text)
        decimal_comma = _delimiter(text) == ";"
    else:
        records = _xlsx_records(data, parsed)
        decimal_comma = False
    _read_records(records, parsed, decimal_comma=decimal_comma)
    return parsed


def _delimiter(text: str) -> str:
    header = text.split("\n", 1)[0]
    counts = {sep: header.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def _csv_records(text: str) -> Iterator[tuple[int, list[Any]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    for number, cells in enumerate(reader, start=1):
        yield number, list(cells)


def _xlsx_records(data: bytes, parsed: Parsed) -> Iterator[tuple[int, list[Any]]]:
    from openpyxl import load_workbook  # imported on use: most requests never need it

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on damaged files
        parsed.issues.append(Issue("bad_file", params={"detail": type(exc).__name__}))
        return
    try:
        sheet = workbook.worksheets[0]
        for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, list(cells)
    finally:
        workbook.close()


def _cell_text(value: Any) -> str:
    """A spreadsheet cell as text: whole numbers without ``.0``, dates as ISO days."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _read_records(
    records: Iterable[tuple[int, list[Any]]], parsed: Parsed, *, decimal_comma: bool
) -> None:
    header: list[str] | None = None
    numbers = parsed.row_numbers if parsed.row_numbers is not None else []
    count = 0
    for number, cells in records:
        texts = [_cell_text(c) for c in cells]
        if not any(texts):
            continue
        if header is None:
            header = [t.lower() for t in texts]
            if not _check_header(header, number, parsed):
                return
            continue
        count += 1
        if count > MAX_ROWS:
            raise _too_many(count)
        record = {name: cells[i] for i, name in enumerate(header) if i < len(cells) and name}
        extra = [t for t in texts[len(header) :] if t]
        if extra:
            parsed.issues.append(Issue("extra_cells", row=number))
            continue
        try:
            parsed.rows.append(ObservationIn.model_validate(_row_data(record, decimal_comma)))
            numbers.append(number)
        except ValidationError as exc:
            parsed.issues.extend(model_issues(exc, [number]))
    if (header is None and not parsed.issues) or (header is not None and count == 0):
        parsed.issues.append(Issue("empty_file"))


def _check_header(header: list[str], number: int, parsed: Parsed) -> bool:
    ok = True
    seen: set[str] = set()
    for name in header:
        if name and name in seen:
            parsed.issues.append(
                Issue("duplicate_column", row=number, column=name, params={"column": name})
            )
            ok = False
        seen.add(name)
    for name in REQUIRED_COLUMNS:
        if name not in seen:
            parsed.issues.append(
                Issue("missing_column", row=number, column=name, params={"column": name})
            )
            ok = False
    return ok


def _row_data(record: dict[str, Any], decimal_comma: bool) -> dict[str, Any]:
    """A row's cells as the row model's fields (empty optional cells left out)."""
    data: dict[str, Any] = {}
    disagg: dict[str, str] = {}
    for name, raw in record.items():
        text = _cell_text(raw)
        if name == "value":
            if isinstance(raw, int | float) and not isinstance(raw, bool):
                data["value"] = raw
            elif text:
                comma = decimal_comma and _DECIMAL_COMMA.fullmatch(text)
                data["value"] = text.replace(",", ".") if comma else text
        elif name in ("indicator", "unit", "period"):
            if text:
                data[name] = text
        elif name == "status":
            if text:
                data["status"] = STATUS_WORDS.get(text.lower(), text)
        elif name == "hierarchy":
            if text:
                data["hierarchy"] = text.lower()
        elif name == "disagg":
            if text:
                try:
                    disagg.update(parse_disagg(text))
                except ValueError:
                    data["disagg"] = text  # not a mapping: the row model reports the cell
        elif text:
            disagg[name] = text
    if disagg and "disagg" not in data:
        data["disagg"] = disagg
    return data
