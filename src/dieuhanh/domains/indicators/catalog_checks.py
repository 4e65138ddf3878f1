"""Checks of catalog definitions that need more than one field: codes that must exist,
formulas that must parse and must not loop, and how a failure is reported.

Every failed check becomes one entry of a ``validation_error`` problem, located at the field
(``["body", "formula"]``) and typed (``unknown_indicator``, ``formula_cycle``…) so that the
edit page can show it in Vietnamese next to the field. :data:`CATALOG_MESSAGES` holds the English
message ids for those types; entries carry their parameters for the translation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from dieuhanh.core import expressions
from dieuhanh.core.errors import ProblemError
from dieuhanh.core.expressions import Ref
from dieuhanh.core.i18n import N_

Location = Sequence[str | int]

# Error type -> English message id with %(name)s parameters (translated by the pages).
CATALOG_MESSAGES: dict[str, str] = {
    "unknown_indicator": N_("No indicator has the code %(value)s"),
    "unknown_dimension": N_("No disaggregation dimension has the code %(value)s"),
    "unknown_agency": N_("No agency has the code %(value)s"),
    "not_an_agency": N_("%(value)s is not an agency"),
    "agency_out_of_scope": N_("The agency %(value)s is outside your scope"),
    "formula_syntax": N_("The formula is not valid at character %(position)s: %(reason)s"),
    "formula_not_number": N_("The formula must give a number, not a condition"),
    "unknown_breakdown": N_("%(value)s is not a breakdown of that indicator"),
    "formula_cycle": N_("The formula refers back to itself: %(value)s"),
    "weight_required": N_("A weighted average needs a weight indicator"),
    "weight_not_allowed": N_("A weight indicator is only used with a weighted average"),
    "weight_self": N_("An indicator cannot be its own weight"),
    "threshold_order": N_("The amber threshold must not be above the green one"),
    "duplicate_dimension": N_("A dimension is listed twice"),
    "duplicate_target": N_("This unit, year and month appear twice"),
    "code_taken": N_("The code %(value)s is already used"),
    "unknown_unit": N_("No unit has the code %(value)s"),
    "not_a_territory": N_("Plans belong to provinces, districts and communes, not agencies"),
    "code_immutable": N_("The code of an indicator cannot be changed"),
}


def error(location: Location, kind: str, message: str, **params: Any) -> dict[str, Any]:
    """One problem entry; ``params`` fill the translated message on pages."""
    entry: dict[str, Any] = {"location": [str(p) for p in location], "type": kind}
    entry["message"] = message
    if params:
        entry["params"] = params
    return entry


def known_error(location: Location, kind: str, **params: Any) -> dict[str, Any]:
    """An entry whose English message comes from :data:`CATALOG_MESSAGES`."""
    return error(location, kind, CATALOG_MESSAGES[kind] % params, **params)


def invalid(errors: list[dict[str, Any]], detail: str | None = None) -> ProblemError:
    return ProblemError("validation_error", detail=detail, errors=errors)


def from_validation(exc: ValidationError, prefix: Location = ("body",)) -> ProblemError:
    """A Pydantic error as the same problem FastAPI would answer for a bad request body."""
    entries = []
    for err in exc.errors(include_url=False):
        loc = [str(p) for p in err["loc"]]
        entries.append(error([*prefix, *loc], err["type"], err["msg"]))
    return invalid(entries)


def references(text: str, location: Location) -> tuple[set[Ref], list[dict[str, Any]]]:
    """The references of a numeric expression, or why it is not one.

    A syntax error keeps the parser's message template and parameters so that a page can
    show the reason in Vietnamese too.
    """
    try:
        parsed = expressions.parse(text)
    except expressions.ExpressionError as exc:
        entry = known_error(location, "formula_syntax", position=exc.position + 1, reason=str(exc))
        entry["position"] = exc.position  # 0-based offset in the text, for editors
        entry["reason_template"] = exc.template
        entry["reason_params"] = {key: str(value) for key, value in exc.params.items()}
        return set(), [entry]
    if parsed.kind != "number":
        return set(), [known_error(location, "formula_not_number")]
    return set(parsed.references()), []


@dataclass(frozen=True)
class Vocabulary:
    """What an expression may name: indicator codes with their dimensions, and categories."""

    dimensions_of: Mapping[str, Sequence[str]]  # indicator code -> its disaggregations
    categories: Mapping[str, set[str]] = field(default_factory=dict)  # dimension -> categories

    def breakdown_errors(self, ref: Ref, location: Location) -> list[dict[str, Any]]:
        if not ref.disagg:
            return []
        allowed = set(self.dimensions_of.get(ref.code, ()))
        for pair in ref.disagg.split(";"):
            dimension, _sep, category = pair.partition("=")
            if dimension not in allowed or category not in self.categories.get(dimension, set()):
                value = f"{ref.code}:{pair}"
                return [known_error(location, "unknown_breakdown", value=value)]
        return []


def check_expression(
    text: str, location: Location, vocabulary: Vocabulary
) -> tuple[set[str], list[dict[str, Any]]]:
    """Parse ``text``; every referenced indicator must exist and every breakdown be one of
    its dimensions' categories. Returns the codes read."""
    refs, errors = references(text, location)
    codes = {ref.code for ref in refs}
    for code in sorted(codes - set(vocabulary.dimensions_of)):
        errors.append(known_error(location, "unknown_indicator", value=code))
    for ref in sorted(refs, key=lambda r: r.text):
        if ref.code in vocabulary.dimensions_of:
            errors.extend(vocabulary.breakdown_errors(ref, location))
    return codes, errors


def find_cycle(start: str, graph: Mapping[str, set[str]]) -> list[str] | None:
    """A path ``start → … → start`` through formula references, if there is one."""
    path: list[str] = [start]
    seen: set[str] = set()

    def visit(code: str) -> list[str] | None:
        for ref in sorted(graph.get(code, set())):
            if ref == start:
                return [*path, start]
            if ref in seen:
                continue
            seen.add(ref)
            path.append(ref)
            found = visit(ref)
            if found:
                return found
            path.pop()
        return None

    return visit(start)


def formula_graph(formulas: Mapping[str, str | None]) -> dict[str, set[str]]:
    """Code → codes its formula reads (formulas that do not parse read nothing)."""
    graph: dict[str, set[str]] = {}
    for code, formula in formulas.items():
        if formula:
            refs, _errors = references(formula, ())
            graph[code] = {ref.code for ref in refs}
    return graph
