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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache

from sqlalchemy.orm import Session

from dieuhanh.core.errors import ProblemError
from dieuhanh.core.i18n import N_
from dieuhanh.core.periods import Period, PeriodType
from dieuhanh.domains.indicators.catalog import get_indicator_by_id
from dieuhanh.domains.indicators.query_fast import other_map_has_data, try_fast
from dieuhanh.domains.indicators.query_rollup import answer as answer_from_rollups
from dieuhanh.domains.indicators.query_rollup import at_level_plan, restricted_plan
from dieuhanh.domains.indicators.query_time import (
    children_for,
    source_type,
    stored_types,
    stored_types_many,
)
from dieuhanh.domains.indicators.query_units import (
    AggRow,
    Batch,
    Run,
    Slot,
    aggregate,
    direct_runs,
)
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

CellKey = tuple[str, int, "Want"]  # indicator code, target unit id, what was asked


@dataclass(frozen=True, order=True)
class Want:
    """A period asked for, as itself or as its year to date."""

    period: Period
    ytd: bool = False


@dataclass(frozen=True)
class Coverage:
    """How complete a value is: units and child periods reported out of those expected."""

    reported: int
    expected: int
    level: str
    periods_reported: int = 0
    periods_expected: int = 0
    last: Period | None = None  # the latest stored period present

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
    """What to compute: the targets, the periods (each as itself or year to date), and in
    which hierarchy."""

    hierarchy: str
    targets: tuple[UnitOut, ...]
    wants: tuple[Want, ...]
    disagg: str = ""
    # read an indicator stored only at a coarser type at the period containing the asked one
    # (an annual plan inside a monthly formula); plain queries say "not available" instead
    coarser_fallback: bool = False

    @classmethod
    def of(
        cls,
        hierarchy: str,
        targets: Sequence[UnitOut],
        periods: Iterable[Period],
        *,
        disagg: str = "",
        ytd: bool = False,
        coarser_fallback: bool = False,
    ) -> Request:
        wants = tuple(dict.fromkeys(Want(p, ytd) for p in periods))
        return cls(hierarchy, tuple(targets), wants, disagg, coarser_fallback)


@dataclass
class _Work:
    """One indicator's wants read from one stored type: their slots."""

    indicator: IndicatorOut
    source: PeriodType
    slots: dict[Want, Slot] = field(default_factory=dict)
    read_at: dict[Want, Period] = field(default_factory=dict)  # coarser fallback


def _plan(db: Session, request: Request, level: str, cache: dict[str, UnitPlan]) -> UnitPlan:
    if level not in cache:
        cache[level] = plan_units(
            db, targets=request.targets, hierarchy=request.hierarchy, report_level=level
        )
    return cache[level]


def _works(
    indicator: IndicatorOut, stored: frozenset[PeriodType], request: Request
) -> tuple[list[_Work], list[Want]]:
    """The indicator's wants grouped by the stored type they read, and those it cannot
    answer at all."""
    by_source: dict[PeriodType, _Work] = {}
    unanswered: list[Want] = []
    for want in request.wants:
        kind = want.period.type
        source = source_type(kind, stored)
        read: Period | None = None
        if source is None:
            coarser = [t for t in stored if t.rank > kind.rank]
            if not (request.coarser_fallback and coarser):
                unanswered.append(want)
                continue
            source = min(coarser, key=lambda t: t.rank)
            read = want.period.rollup(source)
        work = by_source.setdefault(source, _Work(indicator, source))
        if read is not None:
            work.read_at[want] = read
            children = [read]
        else:
            children = children_for(want.period, source, ytd=want.ytd)
        work.slots[want] = Slot(len(work.slots), tuple(c.start for c in children))
    return list(by_source.values()), unanswered


def compute_stored(
    db: Session, indicators: Sequence[IndicatorOut], request: Request
) -> dict[CellKey, Cell]:
    """Cells for stored (not derived) indicators; every (indicator, target, want) asked for
    is in the result, ``value=None`` where nothing is known."""
    cells: dict[CellKey, Cell] = {}
    plans: dict[str, UnitPlan] = {}
    batches: dict[tuple[object, ...], list[_Work]] = defaultdict(list)
    known = stored_types_many(db, [i.id for i in indicators])
    for indicator in indicators:
        stored = known[indicator.id]
        works, unanswered = _works(indicator, stored, request)
        note = NOTE_NOT_STORED if stored else NOTE_NO_DATA
        for want in unanswered:
            for target in request.targets:
                cells[(indicator.code, target.id, want)] = _missing(target, note)
        for work in works:
            key = (
                work.source,
                indicator.report_level,
                indicator.agg_units,
                indicator.agg_time,
                tuple(work.slots.items()),
            )
            batches[key].append(work)
    known_runs: dict[str, list[Run]] = {}
    sqlite = db.get_bind().dialect.name == "sqlite"

    def runs_of(level: str, plan: UnitPlan) -> Callable[[], list[Run]]:
        def runs() -> list[Run]:
            # key ranges suit SQLite; PostgreSQL plans a range join badly, so it joins by id
            if level not in known_runs:
                known_runs[level] = direct_runs(db, plan) if sqlite else []
            return known_runs[level]

        return runs

    for (source, level, agg_units, agg_time, _slots), works in batches.items():
        plan = _plan(db, request, str(level), plans)
        runs = runs_of(str(level), plan)
        slots = list(works[0].slots.values())
        batch = Batch(
            tuple(w.indicator.id for w in works),
            str(agg_units),
            str(agg_time),
            source,  # type: ignore[arg-type]
            request.disagg,
        )
        starts = sorted({c for slot in slots for c in slot.children})
        crossing = other_map_has_data(db, batch, plan, starts)
        if agg_units == "wavg" and _combines_units(plan):
            rows = _weighted(db, batch, plan, slots, works, request, runs() or None, crossing)
        else:
            rows = _rows(db, batch, plan, slots, runs, crossing=crossing)
        for work in works:
            cells.update(_assemble(work, plan, rows, request))
    return cells


def _combines_units(plan: UnitPlan) -> bool:
    """Some target aggregates several reporting units (a weighted average needs weights);
    when every target is a reporting unit itself, its value is the unit's own."""
    return any(t.id in plan.expected and not plan.at_level(t) for t in plan.targets)


def _rows(
    db: Session,
    batch: Batch,
    plan: UnitPlan,
    slots: Sequence[Slot],
    runs: Callable[[], list[Run]],
    *,
    crossing: bool,
) -> list[AggRow]:
    """The batch's rows: from the roll-ups kept on write where they settle a slot for the
    targets above the reporting level (:mod:`.query_rollup`), the rest from the
    observations (the fast range path on SQLite, else the general statement)."""
    settled = None if crossing else answer_from_rollups(db, batch, plan, slots)
    if settled is None:
        return _from_observations(db, batch, plan, slots, runs(), crossing=crossing)
    sqlite = db.get_bind().dialect.name == "sqlite"
    rows = list(settled.rows)
    leftovers = [(at_level_plan(plan), list(slots))]
    by_targets: dict[frozenset[int], list[Slot]] = defaultdict(list)
    for slot in slots:
        if slot.key in settled.unsettled:
            by_targets[settled.unsettled[slot.key]].append(slot)
    leftovers += [(restricted_plan(plan, ids), group) for ids, group in by_targets.items()]
    for sub, group in leftovers:
        if sub.targets:
            sub_runs = direct_runs(db, sub) if sqlite else []
            rows += _from_observations(db, batch, sub, group, sub_runs, crossing=False)
    return rows


def _from_observations(
    db: Session,
    batch: Batch,
    plan: UnitPlan,
    slots: Sequence[Slot],
    runs: Sequence[Run],
    *,
    crossing: bool,
) -> list[AggRow]:
    fast = try_fast(db, batch, slots, runs, crossing=crossing)
    if fast is not None:
        return fast
    return aggregate(db, batch, plan, slots, runs=runs or None, crossing=crossing)


def _missing(target: UnitOut, note: str, expected: int = 1, level: str | None = None) -> Cell:
    return Cell(None, Coverage(0, expected, level or target.level), "missing", notes=(note,))


def _assemble(
    work: _Work, plan: UnitPlan, rows: Iterable[AggRow], request: Request
) -> dict[CellKey, Cell]:
    indicator = work.indicator
    found: dict[tuple[int, bool, int], AggRow] = {
        (r.target_id, r.own, r.key): r for r in rows if r.indicator_id == indicator.id
    }
    out: dict[CellKey, Cell] = {}
    for target in request.targets:
        expected = plan.expected.get(target.id, 0)
        for want, slot in work.slots.items():
            key = (indicator.code, target.id, want)
            own = found.get((target.id, True, slot.key))
            agg = found.get((target.id, False, slot.key))
            if own is not None and own.value is not None:
                out[key] = _cell(work, own, slot, (1, 1, target.level), "stored", want)
                continue
            if expected == 0:
                out[key] = _missing(target, NOTE_NO_DATA)
                continue
            if agg is None or agg.reported == 0:
                out[key] = _missing(target, NOTE_NO_DATA, expected, plan.level)
                continue
            single = plan.at_level(target)
            units_seen = (agg.reported, expected, plan.level)
            cell = _cell(work, agg, slot, units_seen, "stored" if single else "aggregate", want)
            if indicator.agg_units == "none" and not single:
                cell = replace(cell, value=None, kind="missing", notes=(NOTE_NO_RULE,))
            out[key] = cell
    return out


@lru_cache(maxsize=4096)
def _period_at(kind: PeriodType, start: date) -> Period:
    """The stored period starting on ``start`` (cached: thousands of cells share a few)."""
    return Period.containing(kind, start)


def _cell(
    work: _Work, row: AggRow, slot: Slot, units_seen: tuple[int, int, str], kind: str, want: Want
) -> Cell:
    reported, expected, level = units_seen
    coverage = Coverage(
        reported,
        expected,
        level,
        periods_reported=row.periods,
        periods_expected=len(slot.children),
        last=_period_at(work.source, row.last) if row.last else None,
    )
    notes: tuple[str, ...] = ()
    if reported < expected:
        notes = (NOTE_PARTIAL,)
    if (
        work.indicator.agg_time in ("last", "first")
        and not slot.direct
        and row.first_last is not None
        and row.first_last < slot.children[-1]
    ):
        notes = (*notes, NOTE_LAST_MISSING)
    return Cell(
        value=row.value,
        coverage=coverage,
        kind=kind,
        remapped=row.remapped,
        provisional=row.provisional,
        source_period=work.read_at.get(want),
        notes=notes,
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
    runs: Sequence[Run] | None,
    crossing: bool,
) -> list[AggRow]:
    """Stage 3 of ``wavg`` in Python: Σ weight·value / Σ weight over units with both."""
    rows = aggregate(db, batch, plan, slots, per_unit=True, runs=runs, crossing=crossing)
    if not rows:
        return []
    by_code = {w.indicator.id: w.indicator for w in works}
    weight_ids = {i.weight_indicator_id for i in by_code.values() if i.weight_indicator_id}
    weight_defs = {
        w.id: w for w in (_indicator_by_id(db, wid) for wid in weight_ids) if w is not None
    }
    unit_ids = sorted({r.unit_id for r in rows if r.unit_id is not None})
    unit_list = tuple(units.units_by_ids(db=db, unit_ids=unit_ids).values())
    want_of = {slot.key: want for want, slot in works[0].slots.items()}
    weights: dict[tuple[int, int, int], float] = {}
    for wid, definition in weight_defs.items():
        found = unit_weights(
            db, definition, unit_list, list(want_of.values()), request.hierarchy, request.disagg
        )
        for key, want in want_of.items():
            for unit in unit_list:
                if (unit.id, want) in found:
                    weights[(wid, unit.id, key)] = found[(unit.id, want)]
    at_level = {t.id for t in plan.targets if plan.at_level(t)}
    groups: dict[tuple[int, bool, int, int], list[AggRow]] = defaultdict(list)
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
        single = own or target_id in at_level
        if single and len(members) == 1 and members[0].value is not None and not pairs:
            value = members[0].value  # one unit's own value needs no weight
            excluded = 0
        lasts = [m.last for m in members if m.last is not None]
        out.append(
            _WRow(
                target_id=target_id,
                own=own,
                indicator_id=indicator_id,
                key=key,
                value=value,
                reported=1 if single and value is not None else len(pairs),
                periods=max((m.periods for m in members), default=0),
                last=max(lasts, default=None),
                first_last=min(lasts, default=None),
                provisional=any(m.provisional for m in members),
                remapped=any(m.remapped for m in members),
                excluded=excluded,
            )
        )
    return out


def unit_weights(
    db: Session,
    weight: IndicatorOut,
    unit_list: Sequence[UnitOut],
    wants: Sequence[Want],
    hierarchy: str,
    disagg: str = "",
) -> dict[tuple[int, Want], float]:
    """Weight of each unit for each want (see the module notes): the weight indicator's
    value for the same period, or for the period of its coarser type containing it or the
    latest of the ``WEIGHT_LOOKBACK`` before."""
    stored = stored_types(db, weight.id)
    candidates: dict[Want, list[Want]] = {}
    for want in wants:
        kind = want.period.type
        options = [want]
        if source_type(kind, stored) is None:
            coarser = sorted((t for t in stored if t.rank > kind.rank), key=lambda t: t.rank)
            if coarser:
                outer = want.period.rollup(coarser[0])
                options = [Want(outer.shift(-n)) for n in range(WEIGHT_LOOKBACK + 1)]
        candidates[want] = options
    asked = tuple(dict.fromkeys(o for options in candidates.values() for o in options))
    sub = Request(hierarchy, tuple(unit_list), asked, disagg)
    values = {
        (unit_id, w): cell.value
        for (_code, unit_id, w), cell in compute_stored(db, [weight], sub).items()
        if cell.value is not None
    }
    out: dict[tuple[int, Want], float] = {}
    for want, options in candidates.items():
        for unit in unit_list:
            for option in options:
                value = values.get((unit.id, option))
                if value is not None:
                    out[(unit.id, want)] = value
                    break
    return out


def _indicator_by_id(db: Session, indicator_id: int) -> IndicatorOut | None:
    try:
        return get_indicator_by_id(db=db, indicator_id=indicator_id)
    except ProblemError:  # the weight indicator is gone: no weights
        return None
