"""Every error path answers with RFC 9457 problem+json (or the same error as a page)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import Query

from dieuhanh.core.errors import CATALOG, ProblemError
from dieuhanh.core.http import public, require
from dieuhanh.core.periods import parse

PROBLEM = "application/problem+json"


def assert_problem(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body = r.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"].endswith("/" + code)
    assert body["title"]
    return body


@pytest.fixture
def error_routes(app):  # type: ignore[no-untyped-def]
    """Routes that fail on purpose, added before the server starts."""

    @app.get("/api/v1/_test/boom", dependencies=[public()])
    def boom() -> None:
        raise RuntimeError("kaboom")

    @app.get("/api/v1/_test/problem", dependencies=[public()])
    def problem() -> None:
        raise ProblemError("conflict", detail="already there")

    @app.get("/api/v1/_test/typed", dependencies=[public()])
    def typed(n: int = Query(ge=1)) -> dict[str, int]:
        return {"n": n}

    @app.get("/api/v1/_test/admin", dependencies=[require("users.manage")])
    def admin_only() -> dict[str, str]:
        return {"ok": "yes"}

    @app.get("/api/v1/_test/period", dependencies=[public()])
    def period(p: str) -> dict[str, str]:
        return {"period": str(parse(p))}

    @app.get("/_test/page", dependencies=[public()])
    def page() -> None:
        raise ProblemError("unit_not_found")

    return app


@pytest.fixture
def eclient(error_routes, live_server):  # type: ignore[no-untyped-def]
    with live_server.client() as c:
        yield c


def test_unknown_route_is_not_found(eclient: httpx.Client) -> None:
    assert_problem(eclient.get("/api/v1/nothing-here"), 404, "not_found")


def test_wrong_method(eclient: httpx.Client) -> None:
    assert_problem(eclient.delete("/healthz"), 405, "method_not_allowed")


def test_validation_error_lists_fields(eclient: httpx.Client) -> None:
    body = assert_problem(eclient.get("/api/v1/_test/typed?n=abc"), 422, "validation_error")
    assert body["errors"][0]["location"] == ["query", "n"]
    body = assert_problem(eclient.get("/api/v1/_test/typed?n=0"), 422, "validation_error")
    assert body["errors"]


def test_problem_error_carries_detail(eclient: httpx.Client) -> None:
    body = assert_problem(eclient.get("/api/v1/_test/problem"), 409, "conflict")
    assert body["detail"] == "already there"
    assert body["instance"] == "/api/v1/_test/problem"


def test_bad_period_is_invalid_period(eclient: httpx.Client) -> None:
    assert eclient.get("/api/v1/_test/period?p=2026Q3").json() == {"period": "2026Q3"}
    body = assert_problem(eclient.get("/api/v1/_test/period?p=2026Q5"), 422, "invalid_period")
    assert "quarter" in body["detail"]


def test_unauthenticated(eclient: httpx.Client) -> None:
    assert_problem(eclient.get("/api/v1/_test/admin"), 401, "not_authenticated")


def test_unexpected_exception_is_a_problem_too(eclient: httpx.Client) -> None:
    body = assert_problem(eclient.get("/api/v1/_test/boom"), 500, "internal_error")
    assert "kaboom" not in str(body)  # internals never leak


def test_titles_follow_accept_language(eclient: httpx.Client) -> None:
    vi = eclient.get("/api/v1/nothing", headers={"Accept-Language": "vi"}).json()
    en = eclient.get("/api/v1/nothing", headers={"Accept-Language": "en-US,en;q=0.9"}).json()
    assert vi["code"] == en["code"] == "not_found"
    assert vi["title"] == "Trang hoặc dữ liệu không tồn tại"
    assert en["title"] == "The page or resource does not exist"
    default = eclient.get("/api/v1/nothing").json()
    assert default["title"] == vi["title"]


def test_browsers_get_an_error_page(eclient: httpx.Client) -> None:
    r = eclient.get("/_test/page", headers={"Accept": "text/html", "Accept-Language": "en"})
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert "unit_not_found" in r.text
    assert "Đơn vị hành chính không tồn tại" in r.text  # pages are Vietnamese by default
    eclient.cookies.set("dh_lang", "en")
    r = eclient.get("/_test/page", headers={"Accept": "text/html"})
    assert "The administrative unit does not exist" in r.text


def test_pages_needing_sign_in_redirect_browsers(eclient: httpx.Client) -> None:
    r = eclient.get("/api/v1/_test/admin", headers={"Accept": "text/html"})
    assert_problem(r, 401, "not_authenticated")  # API paths stay JSON even for browsers


def test_catalog_codes_are_stable_snake_case() -> None:
    for code, spec in CATALOG.items():
        assert code.replace("_", "").isalnum()
        assert code.lower() == code
        assert 400 <= spec.status < 600


def test_unknown_problem_code_is_a_programming_error() -> None:
    with pytest.raises(KeyError):
        ProblemError("no_such_code")
