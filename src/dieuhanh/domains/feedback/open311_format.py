"""How Open311 GeoReport v2 answers are written and how its parameters are read.

The spec's JSON is a mechanical mapping of its XML (the "Spark convention"), so every answer
is built once as plain Python data — dicts, lists and scalars — and written either way:
JSON as it is, XML with each list item wrapped in the element the spec names
(``<services><service>…``). Both are UTF-8; XML starts with the declaration the spec asks
for, and characters XML 1.0 cannot carry (control characters a citizen's text may contain)
are dropped rather than producing a document no client can parse.

Dates go out in the W3C profile of ISO 8601 with the province's offset (``+07:00``) and are
read in it too: a full date and time with its zone, or a bare date (a day in Vietnam time).
A time without a zone is refused, as the spec says the zone must be given.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

from starlette.responses import Response

from dieuhanh.core.i18n import TZ

FORMATS = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# the element of one item inside each list the spec defines
ITEM_TAGS = {
    "service_requests": "request",
    "services": "service",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "errors": "error",
    "service_request_updates": "request_update",
}
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$", re.IGNORECASE
)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _append(parent: Element, tag: str, value: Any) -> None:
    element = SubElement(parent, tag)
    _fill(element, tag, value)


def _fill(element: Element, tag: str, value: Any) -> None:
    if isinstance(value, Mapping):
        for key, child in value.items():
            _append(element, key, child)
    elif isinstance(value, list | tuple):
        item = ITEM_TAGS[tag]
        for child in value:
            _append(element, item, child)
    else:
        element.text = _text(value)


def to_xml(root: str, payload: Any) -> bytes:
    """``payload`` as the spec's XML under ``root`` (lists get their items' element)."""
    element = Element(root)
    _fill(element, root, payload)
    body = tostring(element, encoding="unicode", xml_declaration=False)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body.encode("utf-8")


def to_json(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def answer(fmt: str, root: str, payload: Any, *, status: int = 200) -> Response:
    """One answer in the format the path asked for (``fmt`` is ``xml`` or ``json``)."""
    body = to_json(payload) if fmt == "json" else to_xml(root, payload)
    return Response(body, status_code=status, media_type=FORMATS[fmt])


def errors(fmt: str, status: int, items: Sequence[tuple[int, str]], **headers: str) -> Response:
    """The spec's error answer: ``[{"code", "description"}]`` / ``<errors><error>…``."""
    payload = [{"code": code, "description": text} for code, text in items]
    response = answer(fmt, "errors", payload, status=status)
    response.headers.update(headers)
    return response


def w3c(moment: datetime | None) -> str | None:
    """An instant as the spec writes it, in Vietnam time: ``2026-07-15T08:30:00+07:00``."""
    if moment is None:
        return None
    if moment.tzinfo is None:  # stored instants are UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(TZ).isoformat(timespec="seconds")


class DateError(ValueError):
    """A date parameter that is not in the W3C format."""


def parse_w3c(value: str, *, end: bool = False) -> datetime:
    """A ``start_date``/``end_date`` value; a bare date is that day in Vietnam time (its
    first instant, or its last one for an end)."""
    text = value.strip()
    if _DATE.match(text):
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise DateError(value) from None
        first = datetime.combine(day, time(0), tzinfo=TZ)
        return first + timedelta(days=1, microseconds=-1) if end else first
    if not _DATETIME.match(text):
        raise DateError(value)
    try:
        return datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError:
        raise DateError(value) from None


def split(value: str | None) -> list[str]:
    """A comma-separated parameter; empty parts (and an empty parameter) are absent."""
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def given(value: str | None) -> str | None:
    """The spec's rule for optional arguments: empty is the same as not sent."""
    if value is None:
        return None
    stripped = value.strip()
    return stripped or None
