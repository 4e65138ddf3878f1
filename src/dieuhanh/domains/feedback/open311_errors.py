"""Open311 errors: the spec's format instead of the app's problem+json.

GeoReport v2 answers failures as ``[{"code", "description"}]`` (JSON) or
``<errors><error><code/><description/></error></errors>`` (XML), with 403 for a missing or
wrong ``api_key``, 404 for what does not exist and "basically 400 for any other error". Our
services raise ``ProblemError`` with stable codes; :class:`Open311Route` catches those, the
validation errors of FastAPI and the HTTP errors of dependencies (an invalid Bearer key, a
form the CSRF check refuses) and writes them the spec's way, in the format of the path's
extension (XML, the format every server must speak, when the extension is unknown). We keep
405 for a wrong method and 5xx for our own faults; our machine-readable code travels in the
``X-Problem-Code`` header, and each field error becomes one ``error`` naming the Open311
parameter (``attribute[kind]: an answer is required``).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

import structlog
from fastapi import Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.responses import Response

from dieuhanh.core.errors import CATALOG, ProblemError
from dieuhanh.core.http import get_locale
from dieuhanh.core.i18n import N_, gettext, negotiate
from dieuhanh.domains.feedback import open311_format as fmt_
from dieuhanh.domains.feedback.open311_format import given

log = structlog.get_logger("dieuhanh.open311")

# Open311 parameter names for the fields of ``ReportIn`` (to name them in errors)
PARAMS = {
    "category": "service_code",
    "latitude": "lat",
    "longitude": "long",
    "address": "address_string",
    "unit": "address_id",
    "name": "first_name/last_name",
    "reporter": "first_name/last_name",
}
# what the spec calls a resource: anything else not found is a bad parameter value (400)
_MISSING = frozenset({"not_found", "category_not_found", "report_not_found"})
_HTTP_CODES = {403: "forbidden", 404: "not_found", 405: "method_not_allowed"}


def _status(code: str) -> int:
    """The spec's HTTP status for one of our problem codes."""
    status = CATALOG[code].status
    if status in (401, 403):
        return 403
    if code in _MISSING or status in (405, 429) or status >= 500:
        return status
    return 400


def _param(location: list[Any]) -> str:
    parts = [str(p) for p in location if p not in ("body", "query", "path", "form", "header")]
    if len(parts) >= 2 and parts[0] == "attributes":
        return f"attribute[{parts[1]}]"
    if len(parts) >= 2 and parts[0] == "reporter":
        return PARAMS.get(parts[1], parts[1])
    # the one check on the whole report is that the point has both coordinates
    return PARAMS.get(parts[0], parts[0]) if parts else "lat/long"


def _format_of(request: Request) -> str:
    fmt = request.path_params.get("fmt")
    if fmt in fmt_.FORMATS:
        return str(fmt)
    return "json" if request.url.path.endswith(".json") else "xml"


def reader_locale(
    request: Request,
    locale: Annotated[
        str | None,
        Query(max_length=35, description="vi or en (else Accept-Language, then Vietnamese)"),
    ] = None,
) -> str:
    """The reader's language: the ``locale`` parameter, else as everywhere in the app."""
    chosen = given(locale)
    return negotiate(chosen) if chosen else get_locale(request)


def _problem_answer(request: Request, exc: ProblemError) -> Response:
    locale = reader_locale(request, request.query_params.get("locale"))
    title = gettext(CATALOG[exc.code].title, locale)
    status = _status(exc.code)
    items = [
        (status, f"{_param(list(e.get('location', [])))}: {gettext(str(e['message']), locale)}")
        for e in exc.errors
        if e.get("message")
    ]
    if not items:
        items = [(status, f"{title} — {exc.detail}" if exc.detail else title)]
    headers = {"X-Problem-Code": exc.code}
    if status == 405 and "allow" in exc.headers:
        headers["Allow"] = exc.headers["allow"]
    return fmt_.errors(_format_of(request), status, items, **headers)


def validation_errors(errors: Any) -> list[dict[str, Any]]:
    return [
        {"location": list(err.get("loc", ())), "message": str(err.get("msg", ""))} for err in errors
    ]


class Open311Route(APIRoute):
    """A route whose every failure — in the endpoint or a dependency — is answered in the
    spec's error format (see the module notes)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except ProblemError as exc:
                return _problem_answer(request, exc)
            except RequestValidationError as exc:
                errors = validation_errors(exc.errors())
                return _problem_answer(request, ProblemError("bad_request", errors=errors))
            except HTTPException as exc:
                code = _HTTP_CODES.get(exc.status_code, "bad_request")
                return _problem_answer(request, ProblemError(code, detail=str(exc.detail)))
            except Exception as exc:
                log.exception("open311_error", path=request.url.path, error=repr(exc))
                return _problem_answer(request, ProblemError("internal_error"))

        return guarded


def check_format(fmt: str) -> str:
    """The path's extension: ``xml`` or ``json``, else a 400 (answered in XML)."""
    if fmt not in fmt_.FORMATS:
        raise ProblemError(
            "not_acceptable", errors=[{"location": ["format"], "message": N_("use xml or json")}]
        )
    return fmt


def bad(param: str, message: str) -> ProblemError:
    """A 400 naming the Open311 parameter at fault (``message`` is an English msgid)."""
    return ProblemError("bad_request", errors=[{"location": [param], "message": message}])
