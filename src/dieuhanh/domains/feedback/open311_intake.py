"""``POST requests``: an Open311 form turned into our report, and the key it acts as.

The spec's parameters map onto ``ReportIn``: ``service_code`` → category,
``lat``/``long`` → the point, ``address_string`` → the address, ``address_id`` → the code of
the administrative unit (ward or commune), ``attribute[code]`` (``attribute[code][]`` for a
multivaluelist) → the answers to the category's questions, ``last_name`` + ``first_name`` →
the reporter's name (family name first, as Vietnamese names are written), ``phone`` and
``email`` → the rest of the identity, which never leaves the staff side. ``device_id`` and
``account_id`` identify nothing here and are not kept (``account_id`` is echoed in the answer,
where the spec puts it); ``media_url`` is checked but not
fetched (a server that fetches URLs for anyone can be made to reach inside the network) —
photos go through the feedback API, which checks them and strips their metadata.

The spec wants one location parameter; our intake would also take none (the home
province), but an Open311 client is held to the spec.
"""

from __future__ import annotations

import math
import re
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from dieuhanh.core.errors import ProblemError
from dieuhanh.core.i18n import N_, format_datetime, gettext
from dieuhanh.core.security import Actor
from dieuhanh.domains.auth import service as auth_service
from dieuhanh.domains.feedback.open311_errors import bad, validation_errors
from dieuhanh.domains.feedback.open311_format import given
from dieuhanh.domains.feedback.schemas import ReportIn, Submitted

_ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")


async def read_form(request: Request) -> FormData:
    """The form-encoded body the spec prescribes (read here, since the route itself is
    synchronous: its database work must not run on the event loop)."""
    return await request.form()


def key_actor(db: Session, form: FormData, request: Request) -> Actor:
    """Who files: the API key in the form's ``api_key`` (the one Open311 call that needs a
    key), resolved by the auth service; the session's actor becomes the key, so the audit
    log names it rather than the anonymous caller of the HTTP request."""
    token = given(_field(form, "api_key"))
    if token is None:
        raise ProblemError(
            "invalid_api_key",
            errors=[{"location": ["api_key"], "message": N_("api_key was not provided")}],
        )
    host = request.client.host if request.client else None
    actor = auth_service.actor_for_api_key(db=db, token=token, ip=host)
    db.info["actor"] = actor  # the audit log records the key as the author
    return actor


def _field(form: FormData, name: str) -> str | None:
    value = form.get(name)
    return value if isinstance(value, str) else None


def account_of(form: FormData) -> str | None:
    """The client's ``account_id``: echoed in the answer as the spec shows, never kept."""
    return given(_field(form, "account_id"))


def _coordinate(form: FormData, name: str) -> float | None:
    raw = given(_field(form, name))
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise bad(name, N_("expected a number")) from None
    if not math.isfinite(value):
        raise bad(name, N_("expected a number"))
    return value


def _attributes(form: FormData) -> dict[str, Any]:
    """``attribute[code]=v`` and, for a multivaluelist, ``attribute[code][]=v`` repeated."""
    out: dict[str, Any] = {}
    for key, value in form.multi_items():
        match = _ATTRIBUTE.match(key)
        if match is None or not isinstance(value, str) or not value.strip():
            continue
        code, many = match.group(1), match.group(2)
        if many or code in out:
            earlier = out.get(code, [])
            out[code] = [*(earlier if isinstance(earlier, list) else [earlier]), value.strip()]
        else:
            out[code] = value.strip()
    return out


def report_in(form: FormData) -> ReportIn:
    """The form as our report; spec parameters we do not keep (``device_id``,
    ``account_id``, ``media_url``) are checked where checkable and otherwise ignored."""
    if any(not isinstance(v, str) for _k, v in form.multi_items()):
        raise bad(
            "media",
            N_("file uploads are not accepted here; attach photos through the feedback API"),
        )
    code = given(_field(form, "service_code"))
    if code is None:
        raise bad("service_code", N_("service_code was not provided"))
    lat, long = _coordinate(form, "lat"), _coordinate(form, "long")
    address = given(_field(form, "address_string")) or ""
    address_id = given(_field(form, "address_id"))
    if (lat is None or long is None) and not address and address_id is None:
        raise bad("lat", N_("give lat and long, address_string or address_id"))
    media_url = given(_field(form, "media_url"))
    if media_url is not None and urlsplit(media_url).scheme not in ("http", "https"):
        raise bad("media_url", N_("expected an http or https URL"))
    # Vietnamese names are written family name first
    name = " ".join(
        part
        for part in (given(_field(form, "last_name")), given(_field(form, "first_name")))
        if part
    )
    data = {
        "category": code,
        "description": given(_field(form, "description")) or "",
        "attributes": _attributes(form),
        "latitude": lat,
        "longitude": long,
        "address": address,
        "unit": address_id,
        "reporter": {
            "name": name,
            "phone": given(_field(form, "phone")) or "",
            "email": given(_field(form, "email")) or "",
        },
    }
    try:
        return ReportIn.model_validate(data)
    except ValidationError as exc:
        raise ProblemError("bad_request", errors=validation_errors(exc.errors())) from None


def notice(result: Submitted, locale: str) -> str:
    """``service_notice``: who will handle the report and by when it will be accepted —
    what the citizen behind the client app needs to know next — and its tracking code."""
    due = format_datetime(result.accept_due, locale)
    if result.agency_name:
        text = gettext(
            N_("Received: {agency} will accept it by {due}. Tracking code {code}."), locale
        )
        return text.format(agency=result.agency_name, due=due, code=result.code)
    text = gettext(N_("Received: it will be accepted by {due}. Tracking code {code}."), locale)
    return text.format(due=due, code=result.code)
