"""Checks of our Open311 answers against the GeoReport v2 JSON Schemas in ``open311/`` (see
its NOTICE.md): their relative ``$ref`` resolved through a ``referencing`` registry, the
``date-time`` and ``uri`` formats enforced, and an XML answer compared with the JSON one."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

import httpx
from jsonschema import Draft7Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

CONFORMANCE = Path(__file__).resolve().parent / "open311"
SCHEMA_BASE = "https://schemas.open311.test/georeport-v2/"
SCHEMA_FILES = (
    "request.json",
    "requests.json",
    "service.json",
    "services.json",
    "service-definition.json",
)
JSON_TYPE = "application/json; charset=utf-8"
XML_TYPE = "text/xml; charset=utf-8"
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>'
_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$", re.IGNORECASE
)


def _registry() -> Registry:
    resources = [
        (
            SCHEMA_BASE + name,
            Resource.from_contents(
                json.loads((CONFORMANCE / name).read_text("utf-8")), default_specification=DRAFT7
            ),
        )
        for name in SCHEMA_FILES
    ]
    swagger = json.loads((CONFORMANCE / "swagger.json").read_text("utf-8"))
    # the Swagger description's answer to POST requests, as a schema of its own
    post_answer = {
        "type": "array",
        "items": {**swagger["definitions"]["RequestResponse"], "type": "object"},
    }
    resources.append(
        (SCHEMA_BASE + "post-requests.json", Resource(contents=post_answer, specification=DRAFT7))
    )
    return Registry().with_resources(resources)


REGISTRY = _registry()
FORMATS = FormatChecker(formats=())


@FORMATS.checks("date-time")
def _date_time(value: object) -> bool:
    if not isinstance(value, str) or not _RFC3339.match(value):
        return False
    datetime.fromisoformat(value.upper().replace("Z", "+00:00"))  # raises if impossible
    return True


@FORMATS.checks("uri")
def _uri(value: object) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return bool(parts.scheme and parts.netloc)


def validator(schema: str) -> Draft7Validator:
    return Draft7Validator(
        {"$ref": SCHEMA_BASE + schema}, registry=REGISTRY, format_checker=FORMATS
    )


def valid_json(response: httpx.Response, schema: str | None, status: int = 200) -> Any:
    """The JSON body, after checking status, content type and (if given) the schema."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == JSON_TYPE
    data = json.loads(response.content.decode("utf-8"))
    if schema is not None:
        errors = sorted(validator(schema).iter_errors(data), key=lambda e: list(e.path))
        assert [f"{list(e.path)}: {e.message}" for e in errors] == []
    return data


def xml_root(response: httpx.Response, root: str, status: int = 200) -> ET.Element:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == XML_TYPE
    assert response.content.startswith(XML_DECLARATION)
    element = ET.fromstring(response.content)
    assert element.tag == root
    return element


def _flat(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def same_data(element: ET.Element, data: Any, item: str | None = None) -> None:
    """The XML ``element`` carries ``data`` (a JSON answer) under the spec's element names:
    every key as a child, every list item as one ``item`` element."""
    if isinstance(data, dict):
        assert sorted(child.tag for child in element) == sorted(data), element.tag
        for key, value in data.items():
            child = element.find(key)
            assert child is not None, key
            same_data(child, value, ITEMS.get(key))
    elif isinstance(data, list):
        children = list(element)
        assert [c.tag for c in children] == [item] * len(data), element.tag
        for child, value in zip(children, data, strict=True):
            same_data(child, value, ITEMS.get(child.tag))
    else:
        assert (element.text or "") == _flat(data), element.tag


ITEMS = {"attributes": "attribute", "values": "value", "endpoints": "endpoint", "formats": "format"}


def spec_errors(response: httpx.Response, status: int, fmt: str = "json") -> list[str]:
    """The descriptions of a spec-format error answer (JSON or XML), status checked."""
    if fmt == "json":
        body = valid_json(response, None, status)
        assert isinstance(body, list)
        assert body
        for error in body:
            assert set(error) == {"code", "description"}
            assert error["code"] == status
            assert isinstance(error["description"], str)
            assert error["description"]
        return [e["description"] for e in body]
    root = xml_root(response, "errors", status)
    out = []
    for error in root:
        assert error.tag == "error"
        assert [c.tag for c in error] == ["code", "description"]
        assert error.findtext("code") == str(status)
        out.append(error.findtext("description") or "")
    assert out
    return out
