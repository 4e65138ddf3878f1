"""What the write path accepts and answers: rows in, batch summaries and revisions out.

Rows name everything by its public code (indicator, unit, canonical period); the service
resolves them. ``ObservationIn`` is strict (unknown fields are errors, non-finite values are
errors) so that a typo in a column name fails loudly instead of silently dropping data.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from dieuhanh.core.http import Schema

MAX_ROWS = 100_000  # per request, JSON or file; more is 413 payload_too_large

Status = Literal["provisional", "final"]
HierarchyName = Literal["legacy", "2025"]


class ObservationIn(Schema):
    """One value to write: indicator × unit × period × disaggregation."""

    indicator: str = Field(min_length=1, max_length=64, description="Indicator code")
    unit: str = Field(
        min_length=1,
        max_length=64,
        description="GSO code of the unit; resolved in `hierarchy`, else in the hierarchy "
        "in force at the end of the period (2024-05 → legacy, 2025-07 → 2025)",
    )
    period: str = Field(
        min_length=1,
        max_length=16,
        description="Canonical period code of the indicator's cadence: 2026, 2026Q3, "
        "2026-07, 2026W12 or 2026-07-15",
    )
    value: float = Field(allow_inf_nan=False)
    disagg: dict[str, str] = Field(
        default_factory=dict,
        description="Category per disaggregation dimension, e.g. {'sex': 'female'}; "
        "empty for the total",
    )
    status: Status = "provisional"
    hierarchy: HierarchyName | None = None


class IngestRequest(Schema):
    """Body of ``POST /api/v1/indicators/data`` (documented; parsed by the route itself so
    that bad rows come back as ``import_failed`` with row and column)."""

    rows: list[ObservationIn] = Field(max_length=MAX_ROWS)


class RowIssue(Schema):
    """A reason a row (or the whole request) was rejected, or a warning about an accepted
    row. ``row`` is 1-based: the JSON index + 1, or the spreadsheet row (header = 1)."""

    row: int | None = None
    column: str | None = None
    code: str
    message: str
    rule: str | None = None
    unit: str | None = None
    period: str | None = None
    indicator: str | None = None
    score: float | None = None


class BatchOut(Schema):
    """Summary of one accepted write (also what a retried request gets back)."""

    id: int = Field(description="Batch number: the handle for GET /data/batches/{id}")
    idempotency_key: str
    source: str
    actor: str
    created_at: datetime
    rows: int
    inserted: int
    updated: int
    unchanged: int
    outliers: int
    warnings: list[RowIssue]
    replayed: bool = Field(
        default=False, description="True when this is the answer to a retried request"
    )


class RevisionOut(Schema):
    """One value a cell has had; the current one has no ``replaced_at``."""

    revision: int
    value: float
    status: Status
    source: str
    recorded_by: str
    recorded_at: datetime
    replaced_at: datetime | None = None
    replaced_by: str | None = None
    batch: int | None = Field(default=None, description="Batch that wrote the current value")
    replaced_in_batch: int | None = Field(
        default=None, description="Batch that replaced an older value"
    )
    current: bool


class RevisionsOut(Schema):
    """The history of one value, newest first."""

    indicator: str
    unit: str
    hierarchy: str
    period: str
    disagg: str
    items: list[RevisionOut]
