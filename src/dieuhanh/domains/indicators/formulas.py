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
from dataclasses import dataclass

from sqlalchemy.orm import Session

from dieuhanh.core import expressions
from dieuhanh.core.expressions import Ref
from dieuhanh.core.i18n import N_
from dieuhanh.core.periods import Period
from dieuhanh.domains.indicators.catalog import indicators_by_code
from dieuhanh.domains.indicators.query_grid import (
    CellKey,
    Cell,
    Coverage,
    Request,
    compute_stored,
)
from dieuhanh.domains.indicators.query_time import shift_years
from dieuhanh.domains.indicators.schemas import IndicatorOut

MAX_DEPTH = 8
NOTE_BAD_FORMULA = N_("the formula cannot be evaluated")
NOTE_UNKNOWN_INPUT = N_("an input indicator does not exist")
NOTE_FORMULA_MISSING = N_("an input of the formula is missing")


@dataclass(frozen=True)
class InputKey:
    """One group of references computed together: same indicator, breakdown and shift."""

    code: str
    disagg: str
    offset: int
    offset_years: int
    ytd: bool


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


def input_cells(
    db: Session, expression: expressions.Expression, request: Request, depth: int
) -> tuple[dict[str, IndicatorOut], dict[tuple[InputKey, int, Period], Cell]]:
    """Every input value the formula can ask for, for every target and period: one engine
    call per group of references (not per cell)."""
    refs = expression.references()
    known = indicators_by_code(db=db, codes={r.code for r in refs})
    groups: dict[InputKey, list[Ref]] = defaultdict(list)
    for ref in refs:
        groups[InputKey(ref.code, ref.disagg, ref.offset, ref.offset_years, ref.ytd)].append(ref)
    values: dict[tuple[InputKey, int, Period], Cell] = {}
    for key, members in groups.items():
        indicator = known.get(key.code)
        if indicator is None:
            continue
        ref = members[0]
        mapping = {p: ref_period(p, ref) for p in request.periods}
        sub = Request(
            request.hierarchy,
            request.targets,
            tuple(sorted(set(mapping.values()))),
            key.disagg,
            ytd=key.ytd,
            coarser_fallback=True,
        )
        found = compute(db, [indicator], sub, depth=depth + 1)
        for period, read in mapping.items():
            for target in request.targets:
                cell = found.get((key.code, target.id, read))
                if cell is not None:
                    values[(key, target.id, period)] = cell
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
            for period in request.periods:
                out[(indicator.code, target.id, period)] = _failed(target, NOTE_BAD_FORMULA)
        return out
    known, values = input_cells(db, expression, request, depth)
    for target in request.targets:
        for period in request.periods:
            used: list[Cell] = []

            def resolve(ref: Ref, target_id: int = target.id, at: Period = period) -> float | None:
                key = InputKey(ref.code, ref.disagg, ref.offset, ref.offset_years, ref.ytd)
                cell = values.get((key, target_id, at))
                if cell is None:
                    return None
                used.append(cell)
                return cell.value

            result = expressions.evaluate(expression, resolve)
            value = None if result is None or isinstance(result, bool) else float(result)
            out[(indicator.code, target.id, period)] = _derived_cell(
                value, used, target.level, unknown=len(known) < len(expression.codes())
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
            key=lambda cov: (cov.reported / cov.expected if cov.expected else 0.0),
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
