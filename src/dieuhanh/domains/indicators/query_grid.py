"""Cells of stored indicators: targets × periods, each with its coverage.

The value of target *X* for period *P* is (see :mod:`.query_time` for time, :mod:`.remap` for
units and the reform, :mod:`.query_units` for the SQL):

* *X*'s **own** stored value for *P* (or its children, over time), when it has one;
* else the **aggregate** over the reporting units inside *X* (``agg_units``), each unit's
  value taken over time first (``agg_time``);
* ``None`` when nothing was reported — missing is never zero — with a note saying why.

Coverage goes with every cell: how many reporting units have a value out of how many are
expected ("27/30 xã đã báo cáo"), how many child periods out of how many, and the latest one
present. ``agg_units = none`` gives no aggregate above the reporting level. A weighted
average (``wavg``) weights each unit by the weight indicator's value for the same unit and
period; when that indicator is stored only at a coarser type (population by year) the period
of that type containing *P* is used, or the latest earlier one within four; units without a
weight are left out and counted in the note.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

from sqlalchemy.orm import Session

from dieuhanh.core.errors import ProblemError
from dieuhanh.core.i18n import N_
from dieuhanh.core.periods import Period, PeriodType
from dieuhanh.domains.indicators.catalog import get_indicator_by_id
from dieuhanh.domains.indicators.query_time import (
    children_for,
    source_type,
    stored_types,
)
from dieuhanh.domains.indicators.query_units import AggRow, Batch, Slot, aggregate
from dieuhanh.domains.indicators.remap import UnitPlan, plan_units
from dieuhanh.domains.indicators.schemas import IndicatorOut
from dieuhanh.domains.units import service as units
from dieuhanh.domains.units.schemas import UnitOut

NOTE_NO_DATA = N_("no data reported")
NOTE_NOT_STORED = N_("not available for this period type")
NOTE_NO_RULE = N_("this indicator is not combined across units")
NOTE_LAST_MISSING = N_("the latest period has not been reported")
NOTE_NO_WEIGHT = N_("units without a weight were left out")
NOTE_PARTIAL = N_("not every unit has reported")
WEIGHT_LOOKBACK = 4

CellKey = tuple[str, int, Period]  # indicator code, target unit id, requested period


@dataclass(frozen=True)
class Coverage:
    """How complete a value is: units and child periods reported out of those expected."""

    reported: int
    expected: int
    level: str
    periods_reported: int = 0
    periods_expected: int = 0
    last: date | None = None  # start of the latest stored period present

    @property
    def complete(self) -> bool:
        return self.reported >= self.expected and self.periods_reported >= self.periods_expected


@dataclass(frozen=True)
class Cell:
    """One value of one indicator for one unit and period, with how it was obtained."""

    value: float | None
    coverage: Coverage
    kind: str  # stored | aggregate | derived | missing
    remapped: bool = False
    provisional: bool = False
    source_period: Period | None = None  # when read at a coarser period than asked
    notes: tuple[str, ...] = ()
    excluded: int = 0  # units left out of a weighted average (no weight)


@dataclass(frozen=True)
class Request:
    """What to compute: the targets, the periods, and in which hierarchy."""

    hierarchy: str
    targets: tuple[UnitOut, ...]
    periods: tuple[Period, ...]
    disagg: str = ""
    ytd: bool = False
    # read an indicator stored only at a coarser type at the period containing the asked one
    # (an annual plan inside a monthly formula); plain queries say "not available" instead
    coarser_fallback: bool = False


@dataclass
class _Work:
    """The per-indicator decisions of one request (source type and slots)."""

    indicator: IndicatorOut
    source: PeriodType | None
    slots: dict[Period, Slot] = field(default_factory=dict)
    read_at: dict[Period, Period] = field(default_factory=dict)  # coarser fallback


def _plan(
    db: Session, request: Request, level: str, cache: dict[str, UnitPlan]
) -> UnitPlan:
    if level not in cache:
        cache[level] = plan_units(
            db, targets=request.targets, hierarchy=request.hierarchy, report_level=level
        )
    return cache[level]


def _work(db: Session, indicator: IndicatorOut, request: Request) -> _Work:
    stored = stored_types(db, indicator.id)
    kind = request.periods[0].type if request.periods else PeriodType.MONTH
    source = source_type(kind, stored)
    work = _Work(indicator, source)
    if source is not None:
        for period in request.periods:
            children = children_for(period, source, ytd=request.ytd)
            work.slots[period] = Slot(period.start, tuple(c.start for c in children))
        return work
    coarser = [t for t in stored if t.rank > kind.rank]
    if request.coarser_fallback and coarser:
        read = min(coarser, key=lambda t: t.rank)
        work.source = read
        for period in request.periods:
            outer = period.rollup(read)
            work.read_at[period] = outer
            work.slots[period] = Slot(period.start, (outer.start,))
    return work


def compute_stored(
    db: Session, indicators: Sequence[IndicatorOut], request: Request
) -> dict[CellKey, Cell]:
    """Cells for stored (not derived) indicators; every (indicator, target, period) asked
    for is in the result, ``value=None`` where nothing is known."""
    cells: dict[CellKey, Cell] = {}
    plans: dict[str, UnitPlan] = {}
    batches: dict[tuple[object, ...], list[_Work]] = defaultdict(list)
    for indicator in indicators:
        work = _work(db, indicator, request)
        if work.source is None:
            note = NOTE_NOT_STORED if stored_types(db, indicator.id) else NOTE_NO_DATA
            for target in request.targets:
                for period in request.periods:
                    cells[(indicator.code, target.id, period)] = _missing(target, note)
            continue
        key = (work.source, indicator.report_level, indicator.agg_units, indicator.agg_time)
        batches[key].append(work)
    for (source, level, agg_units, agg_time), works in batches.items():
        plan = _plan(db, request, str(level), plans)
        # one statement per batch of indicators with the same slots (same source type)
        slots = list(works[0].slots.values())
        batch = Batch(
            tuple(w.indicator.id for w in works),
            str(agg_units),
            str(agg_time),
            source,  # type: ignore[arg-type]
            request.disagg,
        )
        if agg_units == "wavg":
            rows = _weighted(db, batch, plan, slots, works, request)
        else:
            rows = aggregate(db, batch, plan, slots)
        for work in works:
            cells.update(_assemble(work, plan, rows, request))
    return cells


def _missing(target: UnitOut, note: str, expected: int = 1, level: str | None = None) -> Cell:
    return Cell(None, Coverage(0, expected, level or target.level), "missing", notes=(note,))


def _assemble(
    work: _Work, plan: UnitPlan, rows: Iterable[AggRow], request: Request
) -> dict[CellKey, Cell]:
    indicator = work.indicator
    found: dict[tuple[int, bool, date], AggRow] = {
        (r.target_id, r.own, r.key): r for r in rows if r.indicator_id == indicator.id
    }
    out: dict[CellKey, Cell] = {}
    for target in request.targets:
        expected = plan.expected.get(target.id, 0)
        for period, slot in work.slots.items():
            key = (indicator.code, target.id, period)
            own = found.get((target.id, True, slot.key))
            agg = found.get((target.id, False, slot.key))
            if own is not None and own.value is not None:
                out[key] = _cell(work, own, slot, Coverage(1, 1, target.level), "stored", period)
                continue
            if expected == 0:
                out[key] = _missing(target, NOTE_NO_DATA)
                continue
            if agg is None or agg.reported == 0:
                out[key] = _missing(target, NOTE_NO_DATA, expected, plan.level)
                continue
            single = plan.at_level(target)
            coverage = Coverage(agg.reported, expected, plan.level)
            cell = _cell(work, agg, slot, coverage, "stored" if single else "aggregate", period)
            if indicator.agg_units == "none" and not single:
                cell = replace(cell, value=None, kind="missing", notes=(NOTE_NO_RULE,))
            out[key] = cell
    return out


def _cell(
    work: _Work, row: AggRow, slot: Slot, coverage: Coverage, kind: str, period: Period
) -> Cell:
    expected_periods = len(slot.children)
    coverage = replace(
        coverage,
        periods_reported=row.periods,
        periods_expected=expected_periods,
        last=row.last,
    )
    notes: list[str] = []
    if coverage.reported < coverage.expected:
        notes.append(NOTE_PARTIAL)
    final_child = max(slot.children)
    if work.indicator.agg_time in ("last", "first") and not slot.direct:
        if row.first_last is not None and row.first_last < final_child:
            notes.append(NOTE_LAST_MISSING)
    return Cell(
        value=row.value,
        coverage=coverage,
        kind=kind,
        remapped=row.remapped,
        provisional=row.provisional,
        source_period=work.read_at.get(period),
        notes=tuple(notes),
        excluded=getattr(row, "excluded", 0),
    )


# --- weighted averages ------------------------------------------------------------------------


@dataclass(frozen=True)
class _WRow(AggRow):
    excluded: int = 0


def _weighted(
    db: Session,
    batch: Batch,
    plan: UnitPlan,
    slots: Sequence[Slot],
    works: Sequence[_Work],
    request: Request,
) -> list[AggRow]:
    """Stage 3 of ``wavg`` in Python: Σ weight·value / Σ weight over units with both."""
    rows = aggregate(db, batch, plan, slots, per_unit=True)
    if not rows:
        return []
    by_code = {w.indicator.id: w.indicator for w in works}
    weight_ids = {i.weight_indicator_id for i in by_code.values() if i.weight_indicator_id}
    weight_defs = {
        w.id: w
        for w in (_indicator_by_id(db, wid) for wid in weight_ids)
        if w is not None
    }
    unit_ids = sorted({r.unit_id for r in rows if r.unit_id is not None})
    unit_list = tuple(units.units_by_ids(db=db, unit_ids=unit_ids).values())
    period_of = {p.start: p for p in request.periods}
    weights: dict[tuple[int, int, date], float] = {}
    for wid, weight in weight_defs.items():
        weights.update(_weights(db, weight, wid, unit_list, list(period_of.values()), request))
    groups: dict[tuple[int, bool, int, date], list[AggRow]] = defaultdict(list)
    for row in rows:
        groups[(row.target_id, row.own, row.indicator_id, row.key)].append(row)
    out: list[AggRow] = []
    for (target_id, own, indicator_id, key), members in groups.items():
        wid = by_code[indicator_id].weight_indicator_id or 0
        pairs: list[tuple[float, float]] = []
        excluded = 0
        for m in members:
            if m.value is None:
                continue
            weight = weights.get((wid, m.unit_id or 0, key))
            if weight is None:
                excluded += 1
            else:
                pairs.append((m.value, weight))
        total = sum(w for _v, w in pairs)
        value = sum(v * w for v, w in pairs) / total if pairs and total else None
        if own and len(members) == 1 and members[0].value is not None and not pairs:
            value = members[0].value  # a unit's own value needs no weight
        lasts = [m.last for m in members if m.last is not None]
        out.append(
            _WRow(
                target_id=target_id,
                own=own,
                indicator_id=indicator_id,
                key=key,
                value=value,
                reported=len(pairs) if not own else 1,
                periods=max((m.periods for m in members), default=0),
                last=max(lasts, default=None),
                first_last=min(lasts, default=None),
                provisional=any(m.provisional for m in members),
                remapped=any(m.remapped for m in members),
                excluded=excluded,
            )
        )
    return out


def _weights(
    db: Session,
    weight: IndicatorOut,
    weight_id: int,
    unit_list: tuple[UnitOut, ...],
    periods: list[Period],
    request: Request,
) -> dict[tuple[int, int, date], float]:
    """Weight of each unit for each requested period (see the module notes)."""
    candidates: dict[Period, list[Period]] = {}
    for period in periods:
        candidates[period] = [period]
    stored = stored_types(db, weight.id)
    kind = periods[0].type if periods else PeriodType.YEAR
    if source_type(kind, stored) is None:
        coarser = sorted((t for t in stored if t.rank > kind.rank), key=lambda t: t.rank)
        if coarser:
            for period in periods:
                outer = period.rollup(coarser[0])
                candidates[period] = [outer.shift(-n) for n in range(WEIGHT_LOOKBACK + 1)]
    wanted = sorted({p for options in candidates.values() for p in options})
    by_type: dict[PeriodType, list[Period]] = defaultdict(list)
    for p in wanted:
        by_type[p.type].append(p)
    values: dict[tuple[int, Period], float] = {}
    for group in by_type.values():
        sub = Request(request.hierarchy, unit_list, tuple(group), request.disagg)
        for (_code, unit_id, p), cell in compute_stored(db, [weight], sub).items():
            if cell.value is not None:
                values[(unit_id, p)] = cell.value
    out: dict[tuple[int, int, date], float] = {}
    for period, options in candidates.items():
        for unit in unit_list:
            for option in options:
                if (unit.id, option) in values:
                    out[(weight_id, unit.id, period.start)] = values[(unit.id, option)]
                    break
    return out


def _indicator_by_id(db: Session, indicator_id: int) -> IndicatorOut | None:
    try:
        return get_indicator_by_id(db=db, indicator_id=indicator_id)
    except ProblemError:  # the weight indicator is gone: no weights
        return None
