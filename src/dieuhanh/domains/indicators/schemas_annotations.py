"""What the annotations API accepts and returns (see :mod:`.annotations`).

The body's strings are bounded here only to keep requests small; the rules people can break
(empty text, more than 500 characters, an end before the start, a link that is neither a
relative URL nor http(s)) are checked by the service, so the API, the detail page's form and
other domains calling the service get the same typed errors (``text_required``,
``text_too_long``, ``end_before_start``, ``invalid_link``…).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field

from dieuhanh.core.http import Schema
from dieuhanh.domains.indicators.schemas import HierarchyName

AnnotationKind = Literal["note", "event", "directive"]
KINDS: tuple[str, ...] = ("note", "event", "directive")
MAX_TEXT = 500
_BOUND = 4000  # request size only; the service refuses anything over MAX_TEXT with its type


class AnnotationIn(Schema):
    """A new annotation. ``unit`` omitted: it applies to every unit (an unscoped writer's
    note); given: to that unit's charts and those of every unit below it."""

    unit: str | None = Field(
        default=None, max_length=64, description="Unit code; omitted = every unit"
    )
    hierarchy: HierarchyName | None = Field(
        default=None, description="Map the unit code is read on (default: today's)"
    )
    day: date = Field(description="The day it is pinned to")
    end_day: date | None = Field(default=None, description="Last day of a span (a flood week)")
    kind: AnnotationKind = Field(
        default="note", description="note | event; directives come from issuing a directive"
    )
    text_vi: str = Field(max_length=_BOUND, description=f"Vietnamese text, 1–{MAX_TEXT} chars")
    text_en: str | None = Field(
        default=None, max_length=_BOUND, description="English text (default: the Vietnamese)"
    )
    link: str | None = Field(
        default=None, max_length=_BOUND, description="A relative URL (/…) or an http(s) URL"
    )


class AnnotationOut(Schema):
    """One annotation; ``text`` is in the reader's language (English falls back to
    Vietnamese). The id is its public identifier (annotations have no code)."""

    id: int
    indicator: str
    unit: str | None
    unit_name: str | None
    hierarchy: str | None
    unit_id: int | None = Field(default=None, exclude=True)
    day: date
    end_day: date | None
    kind: AnnotationKind
    text_vi: str
    text_en: str | None
    text: str
    link: str | None
    source: str
    created_by: str
    created_by_name: str
    created_at: datetime
