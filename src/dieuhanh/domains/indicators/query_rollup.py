"""Cells read from the roll-ups kept on write (:mod:`.rollups`) instead of the observations.

Used for targets *above* the reporting level (a province for a commune-level indicator)
when nothing has to be re-mapped across the 2025 reform and ``agg_units`` is ``sum``,
``avg``, ``min`` or ``max``. A cell of one stored period is then exact: the roll-up row holds
the sum, count, minimum and maximum of the units that reported. A cell made of several
stored periods (a quarter from months, a year to date) is exact only when every expected
unit reported every period, so that "over time per unit, then across units" can be
reordered; the counts in the rows say whether that holds, and the combinations that cannot
be reordered even then (a sum across units of each unit's maximum) are never taken here.
Whatever is not answered goes to the general statement (:mod:`.query_units`), slot by slot.

The targets' own stored values and the targets at the reporting level are not in the
roll-ups; the caller reads them through the general path with the answered targets taken
out of the plan's report map (see :func:`reduced_plan`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy.orm import Session

from dieuhanh.domains.indicators import rollups
from dieuhanh.domains.indicators.query_units import AggRow, Batch, Slot
from dieuhanh.domains.indicators.remap import LEVEL_RANK, UnitPlan
from dieuhanh.domains.units import service as units

# For each ``agg_units``: the ``agg_time`` operators whose result over complete data is a
# function of the per-period roll-ups (sum of sums, mean of means, the last period's …).
EXACT_OVER_TIME: dict[str, frozenset[str]] = {
    "sum": frozenset({"sum", "avg", "last", "first"}),
    "avg": frozenset({"sum", "avg", "last", "first"}),
    "min": frozenset({"min", "last", "first"}),
    "max": frozenset({"max", "last", "first"}),
}


@dataclass(frozen=True)
class Answer:
    """Rows computed from the roll-ups and the targets' own values, and per slot the targets
    above the reporting level the roll-ups could not settle exactly (left to the caller)."""

    rows: list[AggRow]
    unsettled: dict[int, frozenset[int]]  # slot key -> target ids


def above_targets(plan: UnitPlan) -> list[int]:
    """Targets strictly above the reporting level that expect reporting units."""
    level = LEVEL_RANK.get(plan.level)
    if level is None:
        return []
    return [
        t.id
        for t in plan.targets
        if t.id in plan.expected and LEVEL_RANK.get(t.level, level) < level
    ]


def at_level_plan(plan: UnitPlan) -> UnitPlan:
    """What is left for the general path once the roll-ups and :func:`own_rows` answered:
    the targets at the reporting level (their values are the observations themselves)."""
    kept = tuple(t for t in plan.targets if t.id in plan.expected and plan.at_level(t))
    return replace(plan, targets=kept, expected={t.id: plan.expected[t.id] for t in kept})


def restricted_plan(plan: UnitPlan, target_ids: frozenset[int]) -> UnitPlan:
    """The plan for some of its targets only."""
    kept = tuple(t for t in plan.targets if t.id in target_ids)
    return replace(
        plan, targets=kept, expected={k: v for k, v in plan.expected.items() if k in target_ids}
    )


def own_rows(db: Session, batch: Batch, plan: UnitPlan, slots: Sequence[Slot]) -> list[AggRow]:
    """The targets' own stored values (targets above or below the reporting level), over
    time per target: one unit's values, so every ``agg_time`` is exact here."""
    own = [t.id for t in plan.own_targets]
    if not own:
        return []
    starts = sorted({c for slot in slots for c in slot.children})
    stored = {
        (v.indicator_id, v.unit_id, v.period_start): v
        for v in rollups.read_values(
            db,
            indicator_ids=batch.indicator_ids,
            period_type=batch.source.value,
            starts=starts,
            unit_ids=own,
            disagg=batch.disagg,
        )
    }
    rows: list[AggRow] = []
    for slot in slots:
        for target_id in own:
            for indicator_id in batch.indicator_ids:
                present = [
                    v
                    for v in (stored.get((indicator_id, target_id, c)) for c in slot.children)
                    if v is not None
                ]
                if not present:
                    continue
                rows.append(
                    AggRow(
                        target_id=target_id,
                        own=True,
                        indicator_id=indicator_id,
                        key=slot.key,
                        value=_over_time(batch.agg_time, [v.value for v in present]),
                        reported=1,
                        periods=len(present),
                        last=present[-1].period_start,
                        first_last=present[-1].period_start,
                        provisional=any(v.status == "p" for v in present),
                        remapped=False,
                    )
                )
    return rows


def _over_time(operator: str, values: Sequence[float]) -> float:
    """``agg_time`` over one unit's values in period order."""
    match operator:
        case "sum":
            return sum(values)
        case "avg":
            return sum(values) / len(values)
        case "min":
            return min(values)
        case "max":
            return max(values)
        case "first":
            return values[0]
    return values[-1]


def _single(operator: str, row: rollups.RollupRow) -> float:
    if operator == "sum":
        return row.total
    if operator == "avg":
        return row.total / row.reported
    if operator == "min":
        return row.lowest
    return row.highest


def _combined(batch: Batch, parts: Sequence[rollups.RollupRow], expected: int) -> float:
    """Over time then across units, for complete data (every unit, every period)."""
    units_op, time_op = batch.agg_units, batch.agg_time
    if time_op == "last":
        return _single(units_op, parts[-1])
    if time_op == "first":
        return _single(units_op, parts[0])
    if units_op == "min":
        return min(p.lowest for p in parts)
    if units_op == "max":
        return max(p.highest for p in parts)
    total = sum(p.total for p in parts)
    if time_op == "avg":
        total /= len(parts)  # each unit's mean over the periods, summed
    return total / expected if units_op == "avg" else total


def answer(db: Session, batch: Batch, plan: UnitPlan, slots: Sequence[Slot]) -> Answer | None:
    """What the roll-ups settle, or ``None`` when they cannot be used for this batch."""
    if batch.agg_units not in EXACT_OVER_TIME:
        return None
    above = above_targets(plan)
    if not above or not slots:
        return None
    starts = sorted({c for slot in slots for c in slot.children})
    found: dict[tuple[int, int, date], rollups.RollupRow] = {
        (r.indicator_id, r.unit_id, r.period_start): r
        for r in rollups.read(
            db,
            indicator_ids=batch.indicator_ids,
            period_type=batch.source.value,
            starts=starts,
            unit_ids=above,
            disagg=batch.disagg,
            level_rank=units.level_rank(plan.level),
        )
    }
    over_time_ok = batch.agg_time in EXACT_OVER_TIME[batch.agg_units]
    rows: list[AggRow] = []
    unsettled: dict[int, frozenset[int]] = {}
    for slot in slots:
        left: set[int] = set()
        for target_id in above:
            cells = _cells(batch, slot, target_id, plan.expected[target_id], found, over_time_ok)
            if cells is None:
                left.add(target_id)
            else:
                rows.extend(cells)
        if left:
            unsettled[slot.key] = frozenset(left)
    return Answer(rows + own_rows(db, batch, plan, slots), unsettled)


def _cells(
    batch: Batch,
    slot: Slot,
    target_id: int,
    expected: int,
    found: dict[tuple[int, int, date], rollups.RollupRow],
    over_time_ok: bool,
) -> list[AggRow] | None:
    """One target's cells for one slot (every indicator of the batch), or ``None`` when the
    roll-ups do not settle them exactly."""
    cells: list[AggRow] = []
    for indicator_id in batch.indicator_ids:
        parts = [found.get((indicator_id, target_id, c)) for c in slot.children]
        present = [p for p in parts if p is not None]
        if not present:
            continue  # nothing reported: no row, as in the general statement
        if slot.direct:
            value = _single(batch.agg_units, present[0])
            reported, periods = present[0].reported, 1
        else:
            full = len(present) == len(parts) and all(p.reported == expected for p in present)
            if not (full and over_time_ok):
                return None
            value = _combined(batch, present, expected)
            reported, periods = expected, len(parts)
        cells.append(
            AggRow(
                target_id=target_id,
                own=False,
                indicator_id=indicator_id,
                key=slot.key,
                value=value,
                reported=reported,
                periods=periods,
                last=slot.children[-1],
                first_last=slot.children[-1],
                provisional=any(p.provisional for p in present),
                remapped=False,
            )
        )
    return cells
