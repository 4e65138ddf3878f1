"""Catalog pages in Vietnamese: grouped catalog with readable formulas, live filter, and the
administrators' forms with CSRF and field-level Vietnamese errors."""

from __future__ import annotations

import re

import httpx

from tests.fixtures.auth import ADMIN, OPERATOR48, ClientFactory, csrf_from_html

HTML = {"Accept": "text/html"}


def rows(html: str) -> dict[str, str]:
    """data-code → the row's text (tags stripped, whitespace collapsed)."""
    found = re.findall(r'<tr data-code="([^"]+)">(.*?)</tr>', html, re.S)
    return {code: " ".join(re.sub(r"<[^>]+>", " ", body).split()) for code, body in found}


def errors_for(html: str, field: str) -> list[str]:
    return re.findall(rf'data-error-for="{field}">([^<]*)<', html)


def form_fields(**values: str) -> dict[str, str]:
    fields = {
        "code": "TEST_PAGE",
        "name_vi": "Chỉ tiêu thử trên trang",
        "name_en": "Page test indicator",
        "measure_unit_vi": "người",
        "measure_unit_en": "persons",
        "sector": "social",
        "component": "local",
        "agg_units": "sum",
        "agg_time": "sum",
        "direction": "up",
        "decimals": "0",
        "cadence": "month",
        "deadline_workdays": "5",
        "report_level": "province",
        "owner_agency": "48.SNV",
        "threshold_ok": "1",
        "threshold_warn": "0.9",
    }
    fields.update(values)
    return fields


def test_catalog_is_grouped_and_vietnamese(client_as: ClientFactory) -> None:
    r = client_as(OPERATOR48).get("/indicators", headers=HTML)
    assert r.status_code == 200
    html = r.text
    assert '<html lang="vi">' in html
    assert "<h1>Danh mục chỉ tiêu</h1>" in html
    assert "<h2>Kinh tế - xã hội</h2>" in html
    assert "<h3>Tài chính công</h3>" in html
    assert 'data-testid="indicator-count">Số chỉ tiêu tìm thấy: 32<' in html
    assert "<h2>Phản ánh của người dân</h2>" in html
    assert "<h3>Dịch vụ công và phản ánh của người dân</h3>" in html
    table = rows(html)
    assert len(table) == 32
    assert table["BUDGET_REVENUE"] == (
        "BUDGET_REVENUE Thu ngân sách nhà nước trên địa bàn tỷ đồng Hằng tháng "
        "Sở Tài chính thành phố Đà Nẵng"
    )
    assert table["BUDGET_REVENUE_PCT"].endswith(
        "Thu ngân sách nhà nước trên địa bàn ÷ "
        "Dự toán thu ngân sách nhà nước trên địa bàn được giao × 100"
    )
    assert "Hằng tháng (kỳ báo cáo theo Nghị định 09)" in table["NEW_JOBS"]
    assert "Sở Nông nghiệp và Môi trường thành phố Đà Nẵng" in table["POVERTY_RATE"]
    assert 'href="/indicators/GRDP"' in html
    assert "Thêm chỉ tiêu" not in html  # operators read only
    assert "/edit" not in html


def test_live_filter_returns_the_list_only(client_as: ClientFactory) -> None:
    operator = client_as(OPERATOR48)
    fragment = operator.get(
        "/indicators", params={"q": "ty le ho ngheo"}, headers={**HTML, "HX-Request": "true"}
    )
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert 'id="indicator-list"' in fragment.text
    assert list(rows(fragment.text)) == ["POVERTY_RATE"]
    assert "Số chỉ tiêu tìm thấy: 1<" in fragment.text
    # a filtered formula still shows the names of indicators the filter left out
    per_capita = operator.get("/indicators", params={"q": "binh quan dau nguoi"}, headers=HTML)
    assert rows(per_capita.text)["GRDP_PER_CAPITA"].endswith(
        "Tổng sản phẩm trên địa bàn (GRDP) theo giá hiện hành × 1.000 ÷ Dân số trung bình"
    )
    none = operator.get("/indicators", params={"q": "zzzz"}, headers=HTML)
    assert "Không có chỉ tiêu nào khớp với từ khóa." in none.text


def test_anonymous_visitors_are_sent_to_sign_in(client: httpx.Client) -> None:
    r = client.get("/indicators", headers=HTML, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=/indicators"


def test_english_catalog(client_as: ClientFactory) -> None:
    operator = client_as(OPERATOR48)
    operator.cookies.set("dh_lang", "en")
    html = operator.get("/indicators", headers=HTML).text
    assert '<html lang="en">' in html
    assert "<h1>Indicator catalog</h1>" in html
    assert (
        "State budget revenue collected in the province billion VND Monthly"
        in (rows(html)["BUDGET_REVENUE"])
    )


def test_administrator_adds_an_indicator(client_as: ClientFactory) -> None:
    admin = client_as(ADMIN)
    catalog = admin.get("/indicators", headers=HTML).text
    assert 'href="/indicators/new"' in catalog
    assert 'href="/indicators/CPI/edit"' in catalog
    form = admin.get("/indicators/new", headers=HTML)
    assert form.status_code == 200
    assert "Thêm chỉ tiêu" in form.text
    assert '<option value="48.SNV">Sở Nội vụ thành phố Đà Nẵng</option>' in form.text
    fields = form_fields(csrf_token=csrf_from_html(form.text))
    r = admin.post("/indicators/new", data=fields, headers=HTML, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert r.headers["location"] == "/indicators?saved=TEST_PAGE"
    saved = admin.get(r.headers["location"], headers=HTML).text
    assert "Đã lưu chỉ tiêu TEST_PAGE." in saved
    assert rows(saved)["TEST_PAGE"].startswith("TEST_PAGE Chỉ tiêu thử trên trang người")
    created = admin.get("/api/v1/indicators/TEST_PAGE").json()
    assert (created["owner_agency"], created["decimals"], created["component"]) == (
        "48.SNV",
        0,
        "local",
    )


def test_invalid_form_shows_vietnamese_errors_by_field(client_as: ClientFactory) -> None:
    admin = client_as(ADMIN)
    csrf = csrf_from_html(admin.get("/indicators/new", headers=HTML).text)
    fields = form_fields(
        csrf_token=csrf,
        code="bad code",
        agg_units="wavg",
        decimals="hai",
        formula="#{GRDP} * * 2",
    )
    r = admin.post("/indicators/new", data=fields, headers=HTML)
    assert r.status_code == 422
    html = r.text
    assert "Dữ liệu gửi lên không hợp lệ" in html or 'data-testid="form-problem"' in html
    assert errors_for(html, "code") == [
        "Chữ in hoa, chữ số và dấu _, bắt đầu bằng chữ cái (ví dụ GRDP_GROWTH)"
    ]
    assert errors_for(html, "weight_indicator") == ["Bình quân gia quyền cần có chỉ tiêu quyền số"]
    assert errors_for(html, "decimals") == ["Hãy nhập một số nguyên"]
    # what was typed is kept
    assert 'value="Chỉ tiêu thử trên trang"' in html
    assert "#{GRDP} * * 2</textarea>" in html
    # the formula is checked once the fields are well-formed
    fields = form_fields(csrf_token=csrf, formula="#{GRDP} * * 2", owner_agency="48")
    html = admin.post("/indicators/new", data=fields, headers=HTML).text
    (formula_error,) = errors_for(html, "formula")
    assert formula_error.startswith("Công thức không hợp lệ tại ký tự thứ 11:")
    assert errors_for(html, "owner_agency") == ["48 không phải là một cơ quan"]
    assert admin.get("/api/v1/indicators/TEST_PAGE").status_code == 404


def test_administrator_edits_an_indicator(client_as: ClientFactory) -> None:
    admin = client_as(ADMIN)
    form = admin.get("/indicators/CPI/edit", headers=HTML)
    assert form.status_code == 200
    html = form.text
    assert "Phiên bản 1." in html
    assert 'name="deadline_workdays" value="5"' in html
    assert '<option value="down" selected>' in html
    values = form_fields(
        csrf_token=csrf_from_html(html),
        name_vi="Chỉ số giá tiêu dùng (CPI) so với cùng kỳ năm trước",
        name_en="Consumer price index (CPI), same month of the previous year = 100",
        sector="prices",
        component="socioeconomic",
        agg_units="avg",
        agg_time="avg",
        direction="down",
        decimals="2",
        deadline_workdays="4",
        owner_agency="48.STC",
        active="on",
    )
    r = admin.post("/indicators/CPI/edit", data=values, headers=HTML, follow_redirects=False)
    assert r.status_code == 303, r.text
    cpi = admin.get("/api/v1/indicators/CPI").json()
    assert (cpi["version"], cpi["deadline_workdays"], cpi["code"], cpi["active"]) == (
        2,
        4,
        "CPI",
        True,
    )


def test_forms_need_csrf_and_the_manage_permission(client_as: ClientFactory) -> None:
    admin = client_as(ADMIN)
    admin.headers.pop("X-CSRF-Token")
    r = admin.post("/indicators/new", data=form_fields(), headers=HTML)
    assert r.status_code == 403
    assert admin.get("/api/v1/indicators/TEST_PAGE").status_code == 404
    operator = client_as(OPERATOR48)
    assert operator.get("/indicators/new", headers=HTML).status_code == 403
    assert operator.get("/indicators/CPI/edit", headers=HTML).status_code == 403
