"""Row-level problems and warnings of the write path, with their translatable messages.

Clients act on the stable ``code`` of each issue; ``message`` is for people, so it is
rendered in the caller's language (Vietnamese by default). Every template is an English
msgid marked with ``N_`` and translated in ``locale/*/LC_MESSAGES/indicators_ingest.po``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dieuhanh.core.errors import ProblemError
from dieuhanh.core.i18n import N_, gettext
from dieuhanh.domains.indicators.schemas_ingest import RowIssue

TEMPLATES: dict[str, str] = {
    # rows
    "required": N_("This column is required"),
    "unknown_field": N_("Unknown column {column}"),
    "invalid_number": N_("{value} is not a number"),
    "not_finite": N_("The value must be a finite number"),
    "invalid_status": N_("Status must be provisional or final"),
    "invalid_hierarchy": N_("Hierarchy must be legacy or 2025"),
    "invalid_text": N_("The text is empty or too long"),
    "invalid": N_("Invalid value: {detail}"),
    "unknown_indicator": N_("Unknown indicator {indicator}"),
    "inactive_indicator": N_("Indicator {indicator} is no longer active"),
    "derived_indicator": N_("Indicator {indicator} is computed by a formula and cannot be written"),
    "not_owner": N_("Indicator {indicator} is supplied by another agency"),
    "invalid_period": N_("{period} is not a period code (e.g. 2026, 2026Q3, 2026-07, 2026W12)"),
    "period_type_mismatch": N_("Indicator {indicator} expects periods like {example}, not {period}"),  # noqa: E501
    "future_period": N_("Period {period} has not started yet"),
    "unknown_unit": N_("No unit {unit} in hierarchy {hierarchy}"),
    "level_not_allowed": N_("Indicator {indicator} is not reported for unit {unit} ({level})"),
    "out_of_scope": N_("Unit {unit} is outside your scope"),
    "unknown_dimension": N_("Indicator {indicator} has no disaggregation {dimension}"),
    "unknown_category": N_("{category} is not a category of {dimension}"),
    "duplicate": N_("Same indicator, unit, period and disaggregation as row {first}"),
    # files
    "missing_column": N_("Column {column} is missing from the header row"),
    "duplicate_column": N_("Column {column} appears twice in the header row"),
    "empty_file": N_("The file has no data rows"),
    "extra_cells": N_("This row has more cells than the header row"),
    "not_utf8": N_("The file is not UTF-8 text; save it as CSV UTF-8"),
    "bad_file": N_("The file cannot be read: {detail}"),
    # after the write
    "rule_violated": N_("Rule {rule} ({name}) fails for {unit} in {period}: {left} {operator} {right}"),  # noqa: E501
    "outlier": N_("Unusual value {value}: modified z-score {score} against {count} earlier values (median {median})"),  # noqa: E501
}  # fmt: skip

PROBLEMS = N_("{count} problem(s) found; nothing was saved")
# A value the reader may need to see even when it was not numeric (truncated for safety).
_MAX_SHOWN = 60


@dataclass
class Issue:
    """An issue before rendering: the code, where, and the values its message names."""

    code: str
    row: int | None = None
    column: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    rule: str | None = None
    unit: str | None = None
    period: str | None = None
    indicator: str | None = None
    score: float | None = None

    def render(self, locale: str) -> RowIssue:
        template = gettext(TEMPLATES[self.code], locale)
        shown = {key: _shown(value) for key, value in self.params.items()}
        return RowIssue(
            row=self.row,
            column=self.column,
            code=self.code,
            message=template.format(**shown),
            rule=self.rule,
            unit=self.unit,
            period=self.period,
            indicator=self.indicator,
            score=self.score,
        )


def _shown(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value) if value is None else str(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"


def render_all(issues: list[Issue], locale: str) -> list[dict[str, Any]]:
    """Issues as problem+json ``errors`` entries (unset optional keys left out)."""
    return [issue.render(locale).model_dump(exclude_none=True) for issue in issues]


def rejected(issues: list[Issue], locale: str) -> ProblemError:
    """``import_failed`` naming every issue, sorted by row then column; nothing was saved."""
    ordered = sorted(issues, key=lambda i: (i.row or 0, i.column or "", i.code))
    detail = gettext(PROBLEMS, locale).format(count=len(ordered))
    return ProblemError("import_failed", detail=detail, errors=render_all(ordered, locale))
