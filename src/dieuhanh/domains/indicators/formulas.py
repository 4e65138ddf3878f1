"""Derived indicators: a formula over other indicators, evaluated wherever a value is asked.

A derived indicator (``formula`` set) is never aggregated itself: at every unit and period
its formula is evaluated over the *inputs' values at that unit and period*, each input
obtained through the same engine as any other value — so a derived indicator at province
level is the formula over province aggregates (DHIS2's rule: ``Σ revenue / Σ plan``, not the
average of the communes' percentages). References follow :mod:`dieuhanh.core.expressions`:

* ``#{CODE@-1}`` is the previous period of the query's type, ``lastyear(…)`` the same period
  a year earlier, ``ytd(…)`` the year to date by the input's own ``agg_time``;
* an input stored only at a coarser type than the query (an annual plan in a monthly
  formula) is read at the period of that type containing the query's period;
* a missing input is missing (never zero) unless the formula says otherwise
  (``coalesce``, ``isNull``); derived inputs of derived indicators are evaluated in turn
  (cycles are refused by the catalog; a depth limit guards anyway).

The cell of a derived value carries the *least complete* input's coverage, and is
``remapped`` or provisional when any input is.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy.orm import Session

from dieuhanh.core import expressions
from dieuhanh.core.expressions import Ref
from dieuhanh.core.i18n import N_
from dieuhanh.core.periods import Period
from dieuhanh.domains.indicators.catalog import indicators_by_code
from dieuhanh.domains.indicators.query_grid import (
    Cell,
    CellKey,
    Coverage,
    Request,
    Want,
    compute_stored,
)
from dieuhanh.domains.indicators.query_time import shift_years
from dieuhanh.domains.indicators.schemas import IndicatorOut

MAX_DEPTH = 8
NOTE_BAD_FORMULA = N_("the formula cannot be evaluated")
NOTE_UNKNOWN_INPUT = N_("an input indicator does not exist")
NOTE_FORMULA_MISSING = N_("an input of the formula is missing")


def ref_period(period: Period, ref: Ref) -> Period:
    """The period a reference reads for the query's ``period``."""
    shifted = period.shift(ref.offset) if ref.offset else period
    return shift_years(shifted, ref.offset_years) if ref.offset_years else shifted


def compute(
    db: Session, indicators: Sequence[IndicatorOut], request: Request, *, depth: int = 0
) -> dict[CellKey, Cell]:
    """Cells of any indicators, stored or derived (the engine's one entry point)."""
    stored = [i for i in indicators if not i.formula]
    cells = compute_stored(db, stored, request) if stored else {}
    for indicator in indicators:
        if indicator.formula:
            cells.update(_derived(db, indicator, request, depth))
    return cells


def input_want(want: Want, ref: Ref) -> Want:
    """What a reference reads when the formula is evaluated for ``want``: the shifted
    period, year to date when the reference or the request asks for it (the year to date of
    a ratio is the ratio of the years to date)."""
    return Want(ref_period(want.period, ref), ref.ytd or want.ytd)


def input_cells(
    db: Session, expression: expressions.Expression, request: Request, depth: int
) -> tuple[dict[str, IndicatorOut], dict[tuple[Ref, int, Want], Cell]]:
    """Every input value the formula can ask for, for every target and want: one engine
    call per input indicator and breakdown (not per cell)."""
    refs = expression.references()
    known = indicators_by_code(db=db, codes={r.code for r in refs})
    groups: dict[tuple[str, str], list[Ref]] = defaultdict(list)
    for ref in refs:
        groups[(ref.code, ref.disagg)].append(ref)
    values: dict[tuple[Ref, int, Want], Cell] = {}
    for (code, disagg), members in groups.items():
        indicator = known.get(code)
        if indicator is None:
            continue
        reads = {(ref, want): input_want(want, ref) for ref in members for want in request.wants}
        sub = Request(
            request.hierarchy,
            request.targets,
            tuple(dict.fromkeys(reads.values())),
            disagg,
            coarser_fallback=True,
        )
        found = compute(db, [indicator], sub, depth=depth + 1)
        for (ref, want), read in reads.items():
            for target in request.targets:
                cell = found.get((code, target.id, read))
                if cell is not None:
                    values[(ref, target.id, want)] = cell
    return known, values


def _derived(
    db: Session, indicator: IndicatorOut, request: Request, depth: int
) -> dict[CellKey, Cell]:
    out: dict[CellKey, Cell] = {}
    try:
        expression = expressions.parse(indicator.formula or "")
    except expressions.ExpressionError:
        expression = None
    if expression is None or depth > MAX_DEPTH:
        for target in request.targets:
            for want in request.wants:
                out[(indicator.code, target.id, want)] = _failed(target, NOTE_BAD_FORMULA)
        return out
    known, values = input_cells(db, expression, request, depth)
    unknown = len(known) < len(expression.codes())
    for target in request.targets:
        for want in request.wants:
            used: list[Cell] = []

            def resolve(
                ref: Ref, target_id: int = target.id, at: Want = want, used: list[Cell] = used
            ) -> float | None:
                cell = values.get((ref, target_id, at))
                if cell is None:
                    return None
                used.append(cell)
                return cell.value

            result = expressions.evaluate(expression, resolve)
            value = None if result is None or isinstance(result, bool) else float(result)
            out[(indicator.code, target.id, want)] = _derived_cell(
                value, used, target.level, unknown=unknown
            )
    return out


def _failed(target: object, note: str) -> Cell:
    level = getattr(target, "level", "")
    return Cell(None, Coverage(0, 1, level), "missing", notes=(note,))


def _derived_cell(value: float | None, inputs: list[Cell], level: str, *, unknown: bool) -> Cell:
    """The formula's value with its least complete input's coverage."""
    if not inputs:
        coverage = Coverage(0, 1, level)
    else:
        coverage = min(
            (c.coverage for c in inputs),
            key=lambda cov: cov.reported / cov.expected if cov.expected else 0.0,
        )
    notes: list[str] = []
    if unknown:
        notes.append(NOTE_UNKNOWN_INPUT)
    if value is None and any(c.value is None for c in inputs):
        notes.append(NOTE_FORMULA_MISSING)
    return Cell(
        value=value,
        coverage=coverage,
        kind="derived" if value is not None else "missing",
        remapped=any(c.remapped for c in inputs),
        provisional=any(c.provisional for c in inputs),
        notes=tuple(notes),
    )
