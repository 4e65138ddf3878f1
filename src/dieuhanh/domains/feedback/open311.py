"""Open311 GeoReport v2 at ``/open311/v2``: report categories as *services*, reports as
*service requests*, in XML and JSON (``discovery``, ``services``, ``requests``, ``tokens``,
and the ``servicerequestupdates`` extension FixMyStreet polls). See ``docs/open311.md``.

Who may call: every read is public and shows the public view only (no reporter's name,
phone or e-mail, no private attachment, moderated text); ``POST requests`` needs an
``api_key`` form field — one of our API keys — and acts as that key (``feedback.submit``;
the audit log records the key): see ``open311_intake``. Errors are written the spec's way by
the router's route class (``open311_errors``). Empty optional parameters count as absent, as
the spec's "Optional Arguments" demand.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, get_args

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.routing import APIRoute
from starlette.datastructures import FormData
from starlette.responses import Response

from dieuhanh.core.db import utcnow
from dieuhanh.core.errors import ProblemError
from dieuhanh.core.http import DbSession, public, require
from dieuhanh.core.i18n import N_, gettext
from dieuhanh.domains.feedback import open311_format as fmt_
from dieuhanh.domains.feedback import service
from dieuhanh.domains.feedback.api import policy_of
from dieuhanh.domains.feedback.open311_errors import Open311Route, bad, check_format, reader_locale
from dieuhanh.domains.feedback.open311_format import answer, given, split, w3c
from dieuhanh.domains.feedback.open311_intake import (
    account_of,
    key_actor,
    notice,
    read_form,
    report_in,
)
from dieuhanh.domains.feedback.schemas import OPEN_STATUSES, CategoryOut, PublicReport, Status

PREFIX = "/open311/v2"
WINDOW = timedelta(days=90)  # the spec's default and largest span of GET requests
MAX_ITEMS = 1000  # the spec's "first 1000 requests"
CLOSED_STATUSES = tuple(s for s in get_args(Status) if s not in OPEN_STATUSES)
STATUS_GROUPS = {"open": OPEN_STATUSES, "closed": CLOSED_STATUSES}
DATATYPE_TEXT = {
    "number": N_("A number, e.g. 12.5"),
    "datetime": N_("A date and time with its zone, e.g. 2026-07-15T08:30:00+07:00"),
    "singlevaluelist": N_("One of the listed values (its key)"),
    "multivaluelist": N_("One or more of the listed values (their keys)"),
}
CONTACT = N_(
    "Contact the province's Intelligent Operations Center through the 1022 hotline "
    "or its citizen feedback page."
)
KEY_SERVICE = N_(
    "API keys are issued by the administrators of this centre, with the role and area "
    "your application needs."
)
DATE_HELP = N_(
    "expected a W3C date (2026-07-15) or date and time with its zone (2026-07-15T08:30:00+07:00)"
)

# the form of POST requests, for the OpenAPI description (``attribute[code]`` fields too)
POST_FORM = {
    "type": "object",
    "required": ["api_key", "service_code"],
    "properties": {
        name: {"type": "number" if name in ("lat", "long") else "string"}
        for name in [
            "api_key",
            "service_code",
            "lat",
            "long",
            "address_string",
            "address_id",
            "email",
            "device_id",
            "account_id",
            "first_name",
            "last_name",
            "phone",
            "description",
            "media_url",
            "jurisdiction_id",
        ]
    },
    "additionalProperties": {"type": "string"},
}

router = APIRouter(prefix=PREFIX, tags=["open311"], route_class=Open311Route)

Fmt = Annotated[str, Path(description="xml or json (the extension)")]
ReaderLocale = Annotated[str, Depends(reader_locale)]
Param = Annotated[str | None, Query(max_length=100)]
ListParam = Annotated[str | None, Query(max_length=20_000, description="Comma-separated")]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=100,
        description="Unique per request; a retry with the same key returns the first one",
    ),
]


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


# --- discovery and services ---------------------------------------------------------------


@router.get("/discovery.{fmt}", dependencies=[public()], response_class=Response)
def discovery(fmt: Fmt, request: Request, db: DbSession, locale: ReaderLocale) -> Response:
    """Where this endpoint is and what it speaks. ``changeset`` moves when a category (a
    service or its definition) changes, which tells clients to refresh their copies."""
    kind = check_format(fmt)
    categories = service.list_categories(db=db, include_inactive=True, locale=locale)
    changed = max((c.updated_at for c in categories), default=None)
    changeset = w3c(changed) or "1970-01-01T07:00:00+07:00"
    payload = {
        "changeset": changeset,
        "contact": gettext(CONTACT, locale),
        "key_service": gettext(KEY_SERVICE, locale),
        "endpoints": [
            {
                "specification": fmt_.SPECIFICATION,
                "url": _base(request) + PREFIX,
                "changeset": changeset,
                "type": "production",
                "formats": list(fmt_.FORMATS.values()),
            }
        ],
    }
    return answer(kind, "discovery", payload)


def _service(category: CategoryOut, locale: str) -> dict[str, Any]:
    english = locale == "en"
    description = category.description_en if english else category.description_vi
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": description or category.description_vi or None,
        "metadata": bool(category.attributes),
        "type": "realtime",
        "keywords": ", ".join(category.keywords) or None,
        "group": category.group or None,
    }


@router.get("/services.{fmt}", dependencies=[public()], response_class=Response)
def services(fmt: Fmt, db: DbSession, locale: ReaderLocale) -> Response:
    """Every category in use, in the order citizens see them."""
    kind = check_format(fmt)
    items = [_service(c, locale) for c in service.list_categories(db=db, locale=locale)]
    return answer(kind, "services", items)


@router.get("/services/{service_code}.{fmt}", dependencies=[public()], response_class=Response)
def service_definition(
    service_code: str, fmt: Fmt, db: DbSession, locale: ReaderLocale
) -> Response:
    """A category's extra questions. ``order`` is renumbered 1, 2, … in our order, since
    the spec wants distinct positive positions."""
    kind = check_format(fmt)
    category = service.get_category(db=db, code=service_code, locale=locale)
    if not category.active:
        raise ProblemError("category_not_found", detail=service_code)
    english = locale == "en"
    attributes = []
    for position, attribute in enumerate(sorted(category.attributes, key=lambda a: a.order), 1):
        datatype_text = DATATYPE_TEXT.get(attribute.datatype)
        attributes.append(
            {
                "variable": attribute.variable,
                "code": attribute.code,
                "datatype": attribute.datatype,
                "required": attribute.required,
                "datatype_description": gettext(datatype_text, locale) if datatype_text else None,
                "order": position,
                "description": attribute.description_en if english else attribute.description_vi,
                "values": [
                    {"key": v.key, "name": v.name_en if english else v.name_vi}
                    for v in attribute.values
                ],
            }
        )
    payload = {"service_code": category.code, "attributes": attributes}
    return answer(kind, "service_definition", payload)


# --- POST requests ---------------------------------------------------------------------------


@router.post(
    "/requests.{fmt}",
    dependencies=[require("feedback.submit")],
    response_class=Response,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/x-www-form-urlencoded": {"schema": POST_FORM}},
        }
    },
)
def create_request(
    fmt: Fmt,
    request: Request,
    db: DbSession,
    form: Annotated[FormData, Depends(read_form)],
    locale: ReaderLocale,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """A new report from an Open311 client (channel ``open311``), on behalf of the API key
    in ``api_key``; answered at once with its tracking code as ``service_request_id``. With
    an ``Idempotency-Key`` header a retry returns the first report."""
    kind = check_format(fmt)
    actor = key_actor(db, form, request)
    data = report_in(form)
    try:
        result = service.submit_report(
            db=db,
            actor=actor,
            data=data,
            policy=policy_of(request),
            channel="open311",
            idempotency_key=given(idempotency_key),
            locale=locale,
        )
    except ProblemError as exc:
        if exc.code == "unit_not_found":
            raise bad("address_id", N_("unknown: give the code of a ward or commune")) from None
        raise
    item = {"service_request_id": result.code, "service_notice": notice(result, locale)}
    account = account_of(form)
    if account is not None:  # the client's own account id, echoed (not kept)
        item["account_id"] = account
    return answer(kind, "service_requests", [item])


# --- GET requests ---------------------------------------------------------------------------


def open_or_closed(status: str) -> str:
    return "open" if status in OPEN_STATUSES else "closed"


def request_item(report: PublicReport, base: str) -> dict[str, Any]:
    """A report as a service request: its public view only. ``expected_datetime`` stays
    empty because the deadlines are not public (see docs/open311.md)."""
    photos = [m for m in report.media if m.url and m.role == "report"] or [
        m for m in report.media if m.url
    ]
    return {
        "service_request_id": report.code,
        "status": open_or_closed(report.status),
        "status_notes": report.updates[-1].message if report.updates else None,
        "service_name": report.category_name,
        "service_code": report.category,
        "description": report.description[:4000] or None,
        "agency_responsible": report.agency_name,
        "service_notice": report.status_text,
        "requested_datetime": w3c(report.submitted_at),
        "updated_datetime": w3c(report.updated_at),
        "expected_datetime": None,
        "address": report.address or None,
        "address_id": report.unit,
        "zipcode": None,
        "lat": report.latitude,
        "long": report.longitude,
        "media_url": base + str(photos[0].url) if photos else None,
    }


def _date(name: str, raw: str | None, *, end: bool = False) -> datetime | None:
    value = given(raw)
    if value is None:
        return None
    try:
        return fmt_.parse_w3c(value, end=end)
    except fmt_.DateError:
        raise bad(name, DATE_HELP) from None


def window(start_date: str | None, end_date: str | None) -> tuple[datetime, datetime]:
    """The spec's range: at most 90 days, the last 90 days when neither end is given."""
    start, end = _date("start_date", start_date), _date("end_date", end_date, end=True)
    if start is None and end is None:
        end = utcnow()
    if start is None:
        assert end is not None
        start = end - WINDOW
    if end is None:
        end = start + WINDOW
    if start > end:
        raise bad("start_date", N_("start_date is after end_date"))
    if end - start > WINDOW:
        raise bad("end_date", N_("the range may not span more than 90 days"))
    return start, end


def _count(name: str, raw: str | None, default: int, high: int) -> int:
    value = given(raw)
    if value is None:
        return default
    if not value.isdigit() or not 1 <= int(value) <= high:
        message = (
            N_("expected a whole number from 1 to 1000")
            if high == MAX_ITEMS
            else N_("expected a whole number of at least 1")
        )
        raise bad(name, message)
    return int(value)


def _statuses(raw: str | None) -> tuple[str, ...]:
    out: list[str] = []
    for part in split(raw):
        group = STATUS_GROUPS.get(part.lower())
        if group is None:
            raise bad("status", N_("expected open or closed"))
        out.extend(group)
    return tuple(out)


@router.get("/requests.{fmt}", dependencies=[public()], response_class=Response)
def list_requests(
    fmt: Fmt,
    request: Request,
    db: DbSession,
    locale: ReaderLocale,
    service_request_id: ListParam = None,
    service_code: ListParam = None,
    start_date: Param = None,
    end_date: Param = None,
    status: Param = None,
    page: Param = None,
    page_size: Param = None,
    jurisdiction_id: Param = None,
) -> Response:
    """Reports by the spec's filters (newest first; ``page``/``page_size`` is the common
    pagination extension). ``service_request_id`` overrides every other filter and also
    finds reports merged into another."""
    kind = check_format(fmt)
    base = _base(request)
    codes = split(service_request_id)
    if codes:
        if len(codes) > MAX_ITEMS:
            raise bad("service_request_id", N_("at most 1000 ids at once"))
        items = []
        for code in dict.fromkeys(c.upper() for c in codes):
            try:
                items.append(
                    request_item(service.track_report(db=db, code=code, locale=locale), base)
                )
            except ProblemError as exc:
                if exc.code != "report_not_found":
                    raise
        return answer(kind, "service_requests", items)
    categories = split(service_code)
    for code in categories:
        service.get_category(db=db, code=code)  # category_not_found: 404
    statuses = _statuses(status)
    start, end = window(start_date, end_date)
    size = _count("page_size", page_size, MAX_ITEMS, MAX_ITEMS)
    number = _count("page", page, 1, 10**9)
    found = service.list_public_reports(
        db=db,
        filters=service.ReportFilter(
            categories=categories, statuses=statuses, start=start, end=end
        ),
        limit=size,
        offset=(number - 1) * size,
        locale=locale,
    )
    return answer(kind, "service_requests", [request_item(r, base) for r in found.items])


@router.get(
    "/requests/{service_request_id}.{fmt}", dependencies=[public()], response_class=Response
)
def get_request(
    service_request_id: str, fmt: Fmt, request: Request, db: DbSession, locale: ReaderLocale
) -> Response:
    """One report, as a list of one (the spec's shape); unknown: 404."""
    kind = check_format(fmt)
    report = service.track_report(db=db, code=service_request_id, locale=locale)
    return answer(kind, "service_requests", [request_item(report, _base(request))])


@router.get("/tokens/{token}.{fmt}", dependencies=[public()], response_class=Response)
def get_token(token: str, fmt: Fmt) -> Response:
    """Every service is ``realtime``: ``POST requests`` answers with the id at once and no
    token is ever issued, so every token is unknown."""
    check_format(fmt)
    raise ProblemError(
        "not_found",
        errors=[
            {
                "location": ["token"],
                "message": N_("unknown token: requests are answered with their id at once"),
            }
        ],
    )


# --- servicerequestupdates (extension) --------------------------------------------------------


@router.get("/servicerequestupdates.{fmt}", dependencies=[public()], response_class=Response)
def list_updates(
    fmt: Fmt,
    request: Request,
    db: DbSession,
    locale: ReaderLocale,
    start_date: Param = None,
    end_date: Param = None,
    jurisdiction_id: Param = None,
) -> Response:
    """The public updates of every report in a window (same dates rules as GET requests),
    oldest first, at most 1000: what FixMyStreet-style clients poll."""
    kind = check_format(fmt)
    start, end = window(start_date, end_date)
    base = _base(request)
    updates = service.list_public_updates(db=db, start=start, end=end, locale=locale)
    items = [
        {
            "update_id": str(u.id),
            "service_request_id": u.report_code,
            "status": open_or_closed(u.status),
            "updated_datetime": w3c(u.at),
            "description": u.message,
            "media_url": base + u.media[0] if u.media else None,
        }
        for u in updates
    ]
    return answer(kind, "service_request_updates", items)


# --- anything else under /open311/v2 --------------------------------------------------------


@router.api_route(
    "/{rest:path}",
    methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
    dependencies=[public()],
    include_in_schema=False,
)
def unknown(rest: str, request: Request) -> Response:
    """An unknown resource (404) or a known one with the wrong method (405), answered in the
    spec's format instead of the app's problem+json."""
    path = request.url.path
    allowed: set[str] = set()
    for route in router.routes:
        if not isinstance(route, APIRoute) or route.endpoint is unknown:
            continue
        if route.path_regex.match(path):
            allowed |= route.methods or set()
    if allowed:
        raise ProblemError("method_not_allowed", headers={"allow": ", ".join(sorted(allowed))})
    raise ProblemError("not_found", detail=path)
