"""The upload page and a value's revision history over a real server (both databases): the
form in Vietnamese, the CSV template, a good file written and counted, a bad file listing
every row and column and writing nothing, type and size refusals, a re-sent form replayed,
CSRF through the form field, who may upload, and the history of a corrected value."""

from __future__ import annotations

import html as html_lib
import re
import uuid

import httpx
import pytest
from sqlalchemy import func, select

from dieuhanh.core.db import Database
from dieuhanh.domains.indicators import service
from dieuhanh.domains.indicators.ingest_validate import CADENCE_TYPES
from dieuhanh.domains.indicators.models import IngestionBatch, Observation
from dieuhanh.domains.indicators.pages_detail_view import STORED_TYPES
from tests.fixtures.auth import CITIZEN, OPERATOR01, OPERATOR48, ClientFactory
from tests.fixtures.indicators import make_indicator

PAGE = "/indicators/upload"
TEMPLATE = "/indicators/upload/template.csv"
HTML = {"Accept": "text/html"}
BOM = b"\xef\xbb\xbf"
HAI_VAN, LIEN_CHIEU = "20194", "20197"  # two wards of Đà Nẵng (2025 map)
_KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')
_COUNT = re.compile(r'data-testid="count-([a-z]+)">([^<]*)<')
_ISSUE = re.compile(r'<tr data-row="(\d*)" data-column="([^"]*)" data-code="([a-z_]+)">')
_DATETIME_VI = re.compile(r"\d{2}:\d{2} \d{2}/\d{2}/\d{4}")


@pytest.fixture
def catalog(database: Database) -> Database:
    with database.transaction() as db:
        make_indicator(db, "T_SUM", report_level="commune")
    return database


def observations(database: Database) -> int:
    with database.reading() as db:
        return db.scalar(select(func.count()).select_from(Observation)) or 0


def batches(database: Database) -> int:
    with database.reading() as db:
        return db.scalar(select(func.count()).select_from(IngestionBatch)) or 0


def form_key(client: httpx.Client) -> str:
    """The idempotency key of a freshly rendered form."""
    page = client.get(PAGE, headers=HTML)
    assert page.status_code == 200, page.text
    match = _KEY.search(page.text)
    assert match, "no idempotency_key field in the form"
    return match.group(1)


def send(
    client: httpx.Client, name: str, content: bytes, key: str | None = None, **fields: str
) -> httpx.Response:
    """Post the form as a browser does (multipart, with its hidden fields)."""
    data = {"idempotency_key": key or form_key(client), **fields}
    return client.post(PAGE, files={"file": (name, content)}, data=data, headers=HTML)


def counts(html: str) -> dict[str, str]:
    return dict(_COUNT.findall(html))


def issues(html: str) -> list[tuple[str, str, str]]:
    return [(row, column, code) for row, column, code in _ISSUE.findall(html)]


def text(html: str) -> str:
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_stored_types_follow_the_write_path() -> None:
    """The detail page links and the template's example period use the write path's types."""
    assert STORED_TYPES == CADENCE_TYPES


def test_form_renders_in_vietnamese_with_a_fresh_key(client_as: ClientFactory) -> None:
    operator = client_as(OPERATOR48)
    page = operator.get(PAGE, headers=HTML)
    assert page.status_code == 200
    assert '<html lang="vi">' in page.text
    assert 'enctype="multipart/form-data"' in page.text
    assert 'accept=".csv,.xlsx"' in page.text
    assert 'name="csrf_token" value="' in page.text
    shown = text(page.text)
    assert "Nhập số liệu" in shown
    assert "Tải tệp CSV mẫu" in shown
    assert "Mỗi tệp tối đa 20 MB và 100.000 dòng" in shown
    for column in ("indicator", "unit", "period", "value", "status", "hierarchy", "sex"):
        assert f"<code>{column}</code>" in page.text
    assert '<a href="/indicators/upload"' in page.text  # the navigation entry
    first = _KEY.search(page.text)
    assert first
    assert uuid.UUID(first.group(1)).version == 4
    assert form_key(operator) != first.group(1)

    operator.cookies.set("dh_lang", "en")
    english = operator.get(PAGE, headers=HTML)
    assert english.status_code == 200
    assert "Download the CSV template" in english.text
    assert "Upload data" in english.text


def test_template_csv_is_accepted_as_it_is(client_as: ClientFactory, catalog: Database) -> None:
    operator = client_as(OPERATOR48)
    template = operator.get(TEMPLATE)
    assert template.status_code == 200
    assert template.headers["content-type"] == "text/csv; charset=utf-8"
    assert "mau-nhap-so-lieu.csv" in template.headers["content-disposition"]
    assert template.content.startswith(BOM)
    lines = template.content[len(BOM) :].decode("utf-8").split("\r\n")
    assert lines[0] == "indicator,unit,period,value,status"
    code, unit, period, value, status = lines[1].split(",")
    with catalog.reading() as db:
        known = service.get_indicator(db=db, code=code)
    assert (known.active, known.formula, unit, value, status) == (
        True,
        None,
        "48",
        "100",
        "provisional",
    )
    assert period
    assert lines[2:] == [""]

    before = observations(catalog)
    written = send(operator, "mau-nhap-so-lieu.csv", template.content)
    assert written.status_code == 201, text(written.text)
    assert counts(written.text)["inserted"] == "1"
    assert observations(catalog) == before + 1


def test_a_good_csv_writes_its_rows_and_shows_the_counts(
    client_as: ClientFactory, catalog: Database
) -> None:
    operator = client_as(OPERATOR48)
    assert observations(catalog) == 0
    content = (
        "\ufeffindicator;unit;period;value;status\r\n"
        f"T_SUM;48;2025-08;12,5;final\r\n"
        f"T_SUM;{HAI_VAN};2025-08;3;\r\n"
    ).encode()
    written = send(operator, "so-lieu.csv", content)
    assert written.status_code == 201, text(written.text)
    found = counts(written.text)
    batch = int(found.pop("batch"))
    assert found == {
        "rows": "2",
        "inserted": "2",
        "updated": "0",
        "unchanged": "0",
        "outliers": "0",
        "warnings": "0",
    }
    assert "Đã lưu tệp so-lieu.csv." in text(written.text)
    assert observations(catalog) == 2
    stored = operator.get(f"/api/v1/indicators/data/batches/{batch}")
    assert stored.status_code == 200
    assert (stored.json()["rows"], stored.json()["source"]) == (2, "csv")
    # the answer carries a new form, with a new key, for the next file
    assert _KEY.search(written.text)


def test_a_bad_csv_lists_every_row_and_column_and_writes_nothing(
    client_as: ClientFactory, catalog: Database
) -> None:
    operator = client_as(OPERATOR48)
    good = "indicator,unit,period,value\nT_SUM,48,2025-07,1\n"
    assert send(operator, "truoc.csv", good.encode()).status_code == 201
    before = (observations(catalog), batches(catalog))
    content = (
        "indicator,unit,period,value\n"
        "T_SUM,48,2025-08,1\n"
        "T_NOPE,48,2025-08,1\n"
        "T_SUM,48,2025-08,abc\n"
        "T_SUM,48,tháng 8,1\n"
        f"T_SUM,{HAI_VAN},2030-01,4\n"
    )
    refused = send(operator, "sai.csv", content.encode())
    assert refused.status_code == 422
    assert 'data-code="import_failed"' in refused.text
    shown = text(refused.text)
    assert "Không có dữ liệu nào được ghi" in shown
    assert "Dữ liệu nhập bị từ chối; chưa có gì được lưu" in shown
    assert "Không có chỉ tiêu T_NOPE" in shown
    assert issues(refused.text) == [
        ("3", "indicator", "unknown_indicator"),
        ("4", "value", "invalid_number"),
        ("5", "period", "invalid_period"),
        ("6", "period", "future_period"),
    ]
    assert (observations(catalog), batches(catalog)) == before
    # without a header row the file is refused as a whole, column by column
    headless = send(operator, "thieu-cot.csv", b"T_SUM,48,2025-08,1\n")
    assert headless.status_code == 422
    assert ("1", "indicator", "missing_column") in issues(headless.text)
    assert (observations(catalog), batches(catalog)) == before


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("chuong-trinh.exe", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"),
        ("ghi-chu.txt", b"indicator,unit,period,value\nT_SUM,48,2025-08,1\n"),
        ("anh.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),
    ],
)
def test_a_file_that_is_not_csv_or_excel_is_refused(
    client_as: ClientFactory, catalog: Database, name: str, content: bytes
) -> None:
    operator = client_as(OPERATOR48)
    refused = send(operator, name, content)
    assert refused.status_code == 415
    assert 'data-code="unsupported_media_type"' in refused.text
    shown = text(refused.text)
    assert "Loại tệp không được chấp nhận" in shown
    assert "Chỉ nhận tệp CSV (UTF-8) có đuôi .csv" in shown
    assert observations(catalog) == 0


def test_an_oversize_file_is_refused_in_the_page(
    client_as: ClientFactory, catalog: Database
) -> None:
    operator = client_as(OPERATOR48)
    header = b"indicator,unit,period,value\n"
    content = header + b"x" * (service.MAX_UPLOAD_BYTES + 1 - len(header))
    refused = send(operator, "lon.csv", content)
    assert refused.status_code == 413
    assert 'data-code="payload_too_large"' in refused.text
    assert "Tệp tải lên quá lớn" in text(refused.text)
    # a body declared larger than any file is refused before it is read
    huge = send(operator, "rat-lon.csv", content + b"x" * (128 * 1024))
    assert huge.status_code == 413
    assert 'data-code="payload_too_large"' in huge.text
    assert observations(catalog) == 0


def test_a_form_sent_twice_is_written_once(client_as: ClientFactory, catalog: Database) -> None:
    operator = client_as(OPERATOR48)
    key = form_key(operator)
    content = b"indicator,unit,period,value\nT_SUM,48,2025-08,7\n"
    first = send(operator, "mot-lan.csv", content, key=key)
    assert first.status_code == 201
    after_first = (observations(catalog), batches(catalog))
    again = send(operator, "mot-lan.csv", content, key=key)
    assert again.status_code == 200
    assert counts(again.text)["batch"] == counts(first.text)["batch"]
    assert "lần này không ghi thêm gì" in text(again.text)
    assert (observations(catalog), batches(catalog)) == after_first

    other = send(operator, "khac.csv", content.replace(b",7", b",8"), key=key)
    assert other.status_code == 409
    assert 'data-code="idempotency_conflict"' in other.text
    assert "Không có dữ liệu nào được ghi" in text(other.text)
    assert (observations(catalog), batches(catalog)) == after_first


def test_a_form_without_a_file_or_key_is_answered_in_the_page(
    client_as: ClientFactory, catalog: Database
) -> None:
    operator = client_as(OPERATOR48)
    empty = send(operator, "", b"")
    assert empty.status_code == 422
    assert "Hãy chọn một tệp CSV hoặc Excel để tải lên." in text(empty.text)
    forged = send(operator, "a.csv", b"indicator,unit,period,value\nT_SUM,48,2025-08,1\n", "x")
    assert forged.status_code == 422
    assert 'data-code="validation_error"' in forged.text
    assert observations(catalog) == 0


def test_csrf_is_checked_through_the_form_field(
    client_as: ClientFactory, catalog: Database
) -> None:
    operator = client_as(OPERATOR48)
    token = operator.headers.pop("X-CSRF-Token")
    content = b"indicator,unit,period,value\nT_SUM,48,2025-08,1\n"
    forged = send(operator, "a.csv", content)
    assert forged.status_code == 403
    assert observations(catalog) == 0
    written = send(operator, "a.csv", content, csrf_token=token)
    assert written.status_code == 201, text(written.text)
    assert observations(catalog) == 1


def test_who_may_upload(client: httpx.Client, client_as: ClientFactory, catalog: Database) -> None:
    citizen = client_as(CITIZEN)
    assert citizen.get(PAGE, headers=HTML).status_code == 403
    assert citizen.get(TEMPLATE).status_code == 403
    content = b"indicator,unit,period,value\nT_SUM,48,2025-08,1\n"
    refused = citizen.post(PAGE, files={"file": ("a.csv", content)}, data={"idempotency_key": ""})
    assert refused.status_code == 403
    assert "upload" not in re.findall(r'href="/indicators/(\w+)"', citizen.get("/").text)
    anonymous = client.get(PAGE, headers=HTML, follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/login")
    assert observations(catalog) == 0


def test_the_revision_history_lists_an_old_value_after_a_correction(
    client_as: ClientFactory, catalog: Database
) -> None:
    operator = client_as(OPERATOR48)
    header = "indicator,unit,period,value,status\n"
    rows = f"T_SUM,{HAI_VAN},2025-08,10,provisional\nT_SUM,{LIEN_CHIEU},2025-08,5,final\n"
    first = send(operator, "dau.csv", (header + rows).encode())
    assert first.status_code == 201
    fix = f"T_SUM,{HAI_VAN},2025-08,12.5,final\n"
    corrected = send(operator, "sua.csv", (header + fix).encode())
    assert (corrected.status_code, counts(corrected.text)["updated"]) == (201, "1")

    detail = operator.get(
        "/indicators/T_SUM",
        params={"unit": "48", "period_type": "month", "period": "2025-08"},
        headers=HTML,
    )
    assert detail.status_code == 200
    links = re.findall(r'<a href="(/indicators/T_SUM/revisions\?[^"]+)" hx-get="\1"', detail.text)
    history_url = html_lib.unescape(
        next(u for u in links if f"unit={HAI_VAN}" in html_lib.unescape(u))
    )
    assert "period=2025-08" in history_url
    assert 'id="value-history"' in detail.text

    fragment = operator.get(history_url, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    rows_shown = re.findall(r'<tr data-revision="(\d+)"( data-current="1")?>', fragment.text)
    assert rows_shown == [("2", ' data-current="1"'), ("1", "")]
    shown = text(fragment.text)
    assert shown.index("12,5") < shown.index("10,0")
    assert "Chính thức" in shown
    assert "Sơ bộ" in shown
    assert "user:operator48" in shown
    assert len(_DATETIME_VI.findall(shown)) == 3  # recorded twice, replaced once
    batch_first, batch_fix = counts(first.text)["batch"], counts(corrected.text)["batch"]
    assert re.findall(r'data-testid="revision-batch">([^<]*)<', fragment.text) == [batch_fix, "—"]
    assert batch_first != batch_fix

    page = operator.get(history_url, headers=HTML)
    assert page.status_code == 200
    assert '<html lang="vi">' in page.text
    assert "Lịch sử chỉnh sửa" in text(page.text)
    assert 'data-revision="1"' in page.text

    outside = client_as(OPERATOR01).get(history_url)
    assert outside.status_code == 403
    assert outside.json()["code"] == "out_of_scope"
