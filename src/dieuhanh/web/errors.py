"""Turn every failure into a problem+json body, or a friendly page for browsers."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, RedirectResponse, Response

from dieuhanh.core.errors import CATALOG, ProblemError, problem_body
from dieuhanh.core.http import get_locale
from dieuhanh.core.pages import page_locale, render
from dieuhanh.core.periods import PeriodError

log = structlog.get_logger("dieuhanh.errors")

PROBLEM_JSON = "application/problem+json"
_STATUS_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    503: "service_unavailable",
}


def wants_html(request: Request) -> bool:
    """Browsers navigating to pages get HTML; API clients and HTMX fragments get JSON."""
    path = request.url.path
    if path.startswith(("/api/", "/open311/", "/sdmx", "/cap", "/metrics", "/healthz")):
        return False
    if request.headers.get("hx-request"):
        return False
    return "text/html" in request.headers.get("accept", "")


def problem_response(request: Request, code: str, **kwargs: Any) -> Response:
    html = wants_html(request)
    locale = page_locale(request) if html else get_locale(request)
    headers = kwargs.pop("headers", None) or {}
    body = problem_body(code, locale, instance=request.url.path, **kwargs)
    status = CATALOG[code].status
    if html:
        if code == "not_authenticated":
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
        return render(request, "error.html", {"problem": body}, status_code=status)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


async def _on_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ProblemError)
    return problem_response(
        request,
        exc.code,
        detail=exc.detail,
        errors=exc.errors,
        extra=exc.extra,
        headers=exc.headers,
    )


async def _on_period(request: Request, exc: Exception) -> Response:
    return problem_response(request, "invalid_period", detail=str(exc))


async def _on_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {
            "location": [str(p) for p in err.get("loc", ())],
            "message": err.get("msg", ""),
            "type": err.get("type", ""),
        }
        for err in exc.errors()
    ]
    return problem_response(request, "validation_error", errors=errors)


async def _on_http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = _STATUS_CODES.get(exc.status_code, "bad_request" if exc.status_code < 500 else "")
    if not code:
        code = "internal_error"
    return problem_response(request, code, headers=dict(exc.headers or {}))


async def _on_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled_error", path=request.url.path, error=repr(exc))
    return problem_response(request, "internal_error")


def install(app: FastAPI) -> None:
    app.add_exception_handler(ProblemError, _on_problem)
    app.add_exception_handler(PeriodError, _on_period)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(Exception, _on_unexpected)
