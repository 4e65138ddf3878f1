"""The roll-up in SQL: observations × unit map × child periods → one row per target and period.

One statement per batch of indicators that share their stored period type and their
aggregation rules, in three stages (each a ``GROUP BY`` in the database, never a loop over
cells in Python):

1. **per reporting unit and stored period**: the unit's own value, or, when it has none, the
   values of the other hierarchy mapped through the successions (:mod:`.remap`), combined
   by ``agg_units`` with the succession weights;
2. **over time per unit** (only when the request is coarser than what is stored, or year to
   date): ``agg_time`` over the child periods present (``last``/``first`` by a window);
3. **across units per target**: ``agg_units`` over the reporting units that have a value,
   with the count of those units (coverage). Weighted averages stop after stage 2 and are
   finished in Python, because their weights come from another indicator.

Order matters for non-linear pairs (the sum over communes of each commune's latest population
is not the latest of the province sums when a commune is late), so time comes before units.

**Access paths.** Observations are read along their primary key
``(indicator, period_type, period_start, unit, disagg)``. A target's own units are usually a
few *runs of consecutive ids* (a province's communes are loaded together), so they are read
as ordered key ranges ``unit_id BETWEEN lo AND hi`` per indicator and period (:class:`Run`);
with too many runs (thousands of scattered targets) the range of periods is scanned for
every unit and joined to the unit map instead. Data of the other hierarchy is read unit by
unit through ``ix_observations_unit`` (most legacy units have none after 2025, and a missed
probe costs next to nothing). SQLite plans joins without statistics and sometimes loops the
small side outside a range scan (a 100× slowdown), so on SQLite the join order and the index
are fixed (``CROSS JOIN`` and ``INDEXED BY``, see :class:`OrderedJoin`); PostgreSQL plans
them well and gets a plain join. When no re-mapping is needed and the aggregations allow it,
:mod:`.query_fast` answers without the final sort.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    FromClause,
    Integer,
    Select,
    String,
    bindparam,
    case,
    exists,
    func,
    literal,
    select,
    text,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import Join

from dieuhanh.core.periods import PeriodType
from dieuhanh.core.sql_rows import rows_params, rows_template
from dieuhanh.domains.indicators.models import Observation
from dieuhanh.domains.indicators.remap import MapSelect, UnitPlan, in_other_era, map_select

# Point look-ups beat a range scan when the targets hold few reporting units (measured:
# a look-up costs ~10 scanned rows; a province has ~100 communes of the country's 3,321).
POINT_LOOKUP_UNITS = 400
MAX_IN_LIST = 1000

OBS = Observation.__table__
# a target's own units as ranges of ids (see ``Run``)
RUN_COLUMNS = (("t", Integer()), ("own", Integer()), ("lo", Integer()), ("hi", Integer()))


# --- join order on SQLite -------------------------------------------------------------------


class OrderedJoin(Join):
    """An inner join whose left side is the outer loop on SQLite (``CROSS JOIN``), reading
    the right side through ``sqlite_index`` when set. Other databases get a plain join."""

    inherit_cache = True
    sqlite_index: str | None = None


class PrimaryKeyLookup(OrderedJoin):
    """Map outside, observations by their primary key (point look-ups)."""

    inherit_cache = True
    sqlite_index = "sqlite_autoindex_observations_1"


class UnitIndexLookup(OrderedJoin):
    """Map outside, observations through ``ix_observations_unit`` (unit by unit)."""

    inherit_cache = True
    sqlite_index = "ix_observations_unit"


@compiles(OrderedJoin, "sqlite")
def _sqlite_join(element: OrderedJoin, compiler: Any, **kw: Any) -> str:
    kw["asfrom"] = True
    right = compiler.process(element.right, **kw)
    if element.sqlite_index:
        right += f" INDEXED BY {element.sqlite_index}"
    on = compiler.process(element.onclause, **kw)
    return f"{compiler.process(element.left, **kw)} CROSS JOIN {right} ON {on}"


@compiles(OrderedJoin)
def _plain_join(element: OrderedJoin, compiler: Any, **kw: Any) -> str:
    text: str = compiler.visit_join(element, **kw)
    return text


# Range reads beat one scan of every unit while runs × periods × indicators stays below this.
MAX_SEEKS = 20_000


# --- the batch -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Batch:
    """Indicators computed in one statement: same stored type and aggregation rules."""

    indicator_ids: tuple[int, ...]
    agg_units: str
    agg_time: str
    source: PeriodType
    disagg: str = ""


@dataclass(frozen=True)
class Slot:
    """One requested cell in time: its number in the batch and the starts of the stored
    periods it is made of (several slots may share children: a month, its year to date)."""

    key: int
    children: tuple[date, ...]

    @property
    def direct(self) -> bool:
        """Read as stored, no combining over time."""
        return len(self.children) == 1


def _one_to_one(slots: Sequence[Slot]) -> bool:
    """Every slot is one stored period and no two share it: no period table needed."""
    starts = [slot.children[0] for slot in slots if slot.direct]
    return len(starts) == len(slots) and len(set(starts)) == len(starts)


@dataclass(frozen=True)
class AggRow:
    """Stage 3 (or, with ``unit_id``, stage 2) result for one target, indicator and slot."""

    target_id: int
    own: bool
    indicator_id: int
    key: int  # the slot
    value: float | None
    reported: int  # units with a value (1 for a unit row)
    periods: int  # child periods present (the most complete unit's)
    last: date | None  # latest child period present (any unit)
    first_last: date | None  # the earliest of the units' latest periods
    provisional: bool
    remapped: bool
    unit_id: int | None = None


@dataclass(frozen=True)
class Run:
    """Consecutive unit ids ``lo``..``hi`` whose own values count for a target."""

    target_id: int
    own: int
    lo: int
    hi: int


def direct_runs(db: Session, plan: UnitPlan) -> list[Run]:
    """The plan's direct (not re-mapped) units as runs of consecutive ids per target,
    found in the database (gaps and islands: id minus its rank is constant along a run)."""
    unit_map = map_select(plan, crossing=False)
    rows = db.execute(_runs_statement(unit_map.statement), unit_map.params)
    return [Run(int(t), int(own), int(lo), int(hi)) for t, own, lo, hi in rows]


@lru_cache(maxsize=256)
def _runs_statement(unit_map: MapSelect) -> Select[Any]:
    mapping = unit_map.subquery("direct_map")
    ranked = select(
        mapping.c.target_id,
        mapping.c.own,
        mapping.c.src_id,
        (
            mapping.c.src_id
            - func.row_number().over(
                partition_by=(mapping.c.target_id, mapping.c.own), order_by=mapping.c.src_id
            )
        ).label("island"),
    ).subquery("ranked")
    return select(
        ranked.c.target_id, ranked.c.own, func.min(ranked.c.src_id), func.max(ranked.c.src_id)
    ).group_by(ranked.c.target_id, ranked.c.own, ranked.c.island)


def _indicator_filter(column_: Any, single: bool) -> ColumnElement[bool]:
    """``= :agg_id`` for one indicator (a better plan than a one-item list), else a list."""
    if single:
        return column_ == bindparam("agg_id", type_=Integer())  # type: ignore[no-any-return]
    return column_.in_(bindparam("agg_ids", expanding=True, type_=Integer()))  # type: ignore[no-any-return]


def _indicator_params(ids: Sequence[int]) -> dict[str, Any]:
    return {"agg_id": ids[0]} if len(ids) == 1 else {"agg_ids": list(ids)}


def _period_filter(column_: Any, name: str, as_range: bool) -> ColumnElement[bool]:
    """The stored periods ``name``: an IN list, or their range when the list is too long."""
    if as_range:
        low, high = bindparam(f"{name}_lo", type_=Date()), bindparam(f"{name}_hi", type_=Date())
        return column_.between(low, high)  # type: ignore[no-any-return]
    return column_.in_(bindparam(name, expanding=True, type_=Date()))  # type: ignore[no-any-return]


def _period_params(name: str, starts: Sequence[date]) -> dict[str, Any]:
    if len(starts) > MAX_IN_LIST:
        return {f"{name}_lo": min(starts), f"{name}_hi": max(starts)}
    return {name: list(starts)}


def _units_value(operator: str, value: Any, weight: Any) -> ColumnElement[Any]:
    """Combine the other map's values for one unit (stage 1) by ``agg_units``."""
    match operator:
        case "sum":
            return func.sum(value * weight)
        case "avg" | "wavg":
            return func.sum(value * weight) / func.sum(weight)
        case "min":
            return func.min(value)
        case "max":
            return func.max(value)
    return case((func.count() == 1, func.max(value)), else_=None)


def _time_value(operator: str, value: Any, rank: Any) -> ColumnElement[Any]:
    match operator:
        case "sum":
            return func.sum(value)
        case "avg":
            return func.avg(value)
        case "max":
            return func.max(value)
        case "min":
            return func.min(value)
    return func.max(case((rank == 1, value), else_=None))  # last / first


def _across_value(operator: str, value: Any) -> ColumnElement[Any]:
    match operator:
        case "sum":
            return func.sum(value)
        case "avg":
            return func.avg(value)
        case "max":
            return func.max(value)
        case "min":
            return func.min(value)
    return case((func.count(value) == 1, func.max(value)), else_=None)  # none


@dataclass(frozen=True)
class _Shape:
    """What a batch's statement looks like, apart from the values it runs with: statements
    are built once per shape and kept (building one costs more than running it), the ids,
    periods and ranges being bound when it runs (see :func:`_params`)."""

    agg_units: str
    agg_time: str
    source: str
    single: bool  # one indicator
    unit_map: tuple[object, ...]  # the unit map's shape (see ``remap.map_select``)
    runs: int  # rows of the run table; 0: join the unit map
    point_lookup: bool  # few reporting units: look each one up rather than scan
    children_range: bool  # too many stored periods for a list: their range
    crossing: bool  # some periods are in the other map's era
    crossing_range: bool
    pairs: int  # rows of the period table; 0: every slot is one stored period of its own
    per_unit: bool


def _stage1(shape: _Shape, unit_map: MapSelect) -> FromClause:
    """Per (target, reporting unit, own?, indicator, stored period): one value."""
    umap = unit_map.cte("umap").prefix_with("MATERIALIZED")
    o = OBS.alias("o")
    disagg = bindparam("agg_disagg", type_=String())
    filters = [
        _indicator_filter(o.c.indicator_id, shape.single),
        o.c.period_type == shape.source,
        _period_filter(o.c.period_start, "agg_children", shape.children_range),
        o.c.disagg == disagg,
    ]
    if shape.runs:
        # a unit's own values: ordered ranges of ids, the unit being the row's own
        rng = rows_template("rng", RUN_COLUMNS, shape.runs)
        direct = (
            select(
                rng.c.t.label("t"),
                o.c.unit_id.label("r"),
                rng.c.own.label("own"),
                o.c.indicator_id.label("i"),
                o.c.period_start.label("p"),
                o.c.value.label("v"),
                o.c.status.label("s"),
                literal(0).label("rm"),
            )
            .select_from(PrimaryKeyLookup(rng, o, o.c.unit_id.between(rng.c.lo, rng.c.hi)))
            .where(*filters)
        )
    else:
        if shape.point_lookup:
            joined: Join = PrimaryKeyLookup(umap, o, o.c.unit_id == umap.c.src_id)
        else:
            joined = OrderedJoin(o, umap, umap.c.src_id == o.c.unit_id)
        direct = (
            select(
                umap.c.target_id.label("t"),
                umap.c.unit_id.label("r"),
                umap.c.own.label("own"),
                o.c.indicator_id.label("i"),
                o.c.period_start.label("p"),
                o.c.value.label("v"),
                o.c.status.label("s"),
                literal(0).label("rm"),
            )
            .select_from(joined)
            .where(*filters, umap.c.remapped == 0)
        )
    if not shape.crossing:
        return direct.subquery("v")
    x = OBS.alias("x")
    stored = OBS.alias("stored")
    own_value = exists().where(
        stored.c.indicator_id == x.c.indicator_id,
        stored.c.period_type == shape.source,
        stored.c.period_start == x.c.period_start,
        stored.c.unit_id == umap.c.unit_id,
        stored.c.disagg == disagg,
    )
    keys = (umap.c.target_id, umap.c.unit_id, umap.c.own, x.c.indicator_id, x.c.period_start)
    crossed = (
        select(
            *keys,
            _units_value(shape.agg_units, x.c.value, umap.c.weight),
            func.max(x.c.status),
            literal(1),
        )
        .select_from(UnitIndexLookup(umap, x, x.c.unit_id == umap.c.src_id))
        .where(
            umap.c.remapped == 1,
            _indicator_filter(x.c.indicator_id, shape.single),
            x.c.period_type == shape.source,
            # one range seek per unit; the exact periods are kept after grouping (an IN list
            # here would be one index seek per unit and period: 10,000 units × 44 months)
            x.c.period_start.between(
                bindparam("cross_lo", type_=Date()), bindparam("cross_hi", type_=Date())
            ),
            x.c.disagg == disagg,
        )
        .group_by(*keys)
        .having(~own_value, _period_filter(x.c.period_start, "cross", shape.crossing_range))
    )
    return union_all(direct, crossed).subquery("v")


def _stage2(shape: _Shape, v: FromClause) -> FromClause:
    """Per (target, unit, own?, indicator, slot): over time."""
    if not shape.pairs:
        return select(
            v.c.t,
            v.c.r,
            v.c.own,
            v.c.i,
            v.c.p.label("k"),
            v.c.v,
            literal(1).label("n"),
            v.c.p.label("last"),
            v.c.s,
            v.c.rm,
        ).subquery("tv")
    # a CTE: SQLite does not take ``(VALUES …) AS pm (child, k)`` in FROM
    pm = rows_template("pm", (("child", Date()), ("k", Integer())), shape.pairs)
    base = v.join(pm, pm.c.child == v.c.p)
    keys = (v.c.t, v.c.r, v.c.own, v.c.i, pm.c.k)
    if shape.agg_time in ("last", "first"):
        order = v.c.p.desc() if shape.agg_time == "last" else v.c.p.asc()
        ranked = (
            select(
                *keys,
                v.c.p,
                v.c.v,
                v.c.s,
                v.c.rm,
                func.row_number().over(partition_by=keys, order_by=order).label("rank"),
            )
            .select_from(base)
            .subquery("ranked")
        )
        rk = (ranked.c.t, ranked.c.r, ranked.c.own, ranked.c.i, ranked.c.k)
        return (
            select(
                *rk,
                _time_value(shape.agg_time, ranked.c.v, ranked.c.rank).label("v"),
                func.count().label("n"),
                func.max(ranked.c.p).label("last"),
                func.max(ranked.c.s).label("s"),
                func.max(ranked.c.rm).label("rm"),
            )
            .group_by(*rk)
            .subquery("tv")
        )
    return (
        select(
            *keys,
            _time_value(shape.agg_time, v.c.v, None).label("v"),
            func.count().label("n"),
            func.max(v.c.p).label("last"),
            func.max(v.c.s).label("s"),
            func.max(v.c.rm).label("rm"),
        )
        .select_from(base)
        .group_by(*keys)
        .subquery("tv")
    )


def _stage3(shape: _Shape, tv: FromClause) -> Select[Any]:
    keys = (tv.c.t, tv.c.own, tv.c.i, tv.c.k)
    return select(
        *keys,
        _across_value(shape.agg_units, tv.c.v).label("v"),
        func.count(tv.c.v).label("reported"),
        func.max(tv.c.n).label("periods"),
        func.max(tv.c.last).label("last"),
        func.min(tv.c.last).label("first_last"),
        func.max(tv.c.s).label("s"),
        func.max(tv.c.rm).label("rm"),
    ).group_by(*keys)


@lru_cache(maxsize=512)
def _statement(shape: _Shape, unit_map: MapSelect) -> Select[Any]:
    tv = _stage2(shape, _stage1(shape, unit_map))
    if shape.per_unit:
        return select(
            tv.c.t, tv.c.own, tv.c.i, tv.c.k, tv.c.v, tv.c.n, tv.c.last, tv.c.s, tv.c.rm, tv.c.r
        )
    return _stage3(shape, tv)


def aggregate(
    db: Session,
    batch: Batch,
    plan: UnitPlan,
    slots: Sequence[Slot],
    *,
    per_unit: bool = False,
    runs: Sequence[Run] | None = None,
    crossing: bool = True,
) -> list[AggRow]:
    """Stages 1–3 (or 1–2 with ``per_unit``: one row per reporting unit, for weighted
    averages and explanations). ``runs`` (SQLite) read a target's units as key ranges;
    ``crossing=False`` says the other map has no data for these periods (leave it out)."""
    children = sorted({c for slot in slots for c in slot.children})
    if not children or not plan.targets:
        return []
    crossing_starts = [c for c in children if crossing and in_other_era(plan.hierarchy, c)]
    unit_map = map_select(plan, crossing=bool(crossing_starts))
    ids = batch.indicator_ids
    use_runs = bool(runs) and len(runs or ()) * len(ids) * len(children) <= MAX_SEEKS
    pairs = [] if _one_to_one(slots) else [(c, slot.key) for slot in slots for c in slot.children]
    shape = _Shape(
        agg_units=batch.agg_units,
        agg_time=batch.agg_time,
        source=batch.source.value,
        single=len(ids) == 1,
        unit_map=unit_map.shape,
        runs=len(runs or ()) if use_runs else 0,
        point_lookup=plan.source_units <= POINT_LOOKUP_UNITS,
        children_range=len(children) > MAX_IN_LIST,
        crossing=bool(crossing_starts),
        crossing_range=len(crossing_starts) > MAX_IN_LIST,
        pairs=len(pairs),
        per_unit=per_unit,
    )
    params: dict[str, Any] = {
        **unit_map.params,
        **_indicator_params(ids),
        **_period_params("agg_children", children),
        "agg_disagg": batch.disagg,
    }
    if use_runs:
        params |= rows_params("rng", [(r.target_id, r.own, r.lo, r.hi) for r in runs or ()])
    if crossing_starts:
        params |= {"cross_lo": min(crossing_starts), "cross_hi": max(crossing_starts)}
        params |= _period_params("cross", crossing_starts)
    if pairs:
        params |= rows_params("pm", pairs)
    statement = _statement(shape, unit_map.statement)
    with _planner(db, scan=not shape.point_lookup):
        return _run(db, statement, params, slots, per_unit=per_unit)


@contextlib.contextmanager
def _planner(db: Session, *, scan: bool) -> Iterator[None]:
    """PostgreSQL only: settings for one analytical statement, restored after it. Its
    estimates for the unit map (a CTE) are far too low, so a roll-up over many units would
    loop over the unit index; hash joins and aggregates in memory are what such a read
    needs (and compiling it to machine code costs more than it saves)."""
    if db.get_bind().dialect.name != "postgresql":
        yield
        return
    settings = {"jit": "off", "work_mem": "64MB"}
    if scan:  # the unit map is thousands of rows, not the tens PostgreSQL guesses
        settings |= {"enable_nestloop": "off", "enable_sort": "off"}
    for name, setting in settings.items():
        db.execute(text(f"SET LOCAL {name} = '{setting}'"))
    try:
        yield
    finally:
        for name in settings:
            db.execute(text(f"SET LOCAL {name} TO DEFAULT"))


def _run(
    db: Session,
    statement: Select[Any],
    params: dict[str, Any],
    slots: Sequence[Slot],
    *,
    per_unit: bool,
) -> list[AggRow]:
    # with no period table the key is the stored period's start: map it to its slot
    by_start = {slot.children[0]: slot.key for slot in slots} if _one_to_one(slots) else None

    def slot_of(key: Any) -> int:
        return by_start[key] if by_start is not None else int(key)

    if per_unit:
        return [
            AggRow(
                target_id=row[0],
                own=bool(row[1]),
                indicator_id=row[2],
                key=slot_of(row[3]),
                value=row[4],
                reported=0 if row[4] is None else 1,
                periods=int(row[5]),
                last=row[6],
                first_last=row[6],
                provisional=row[7] == "p",
                remapped=bool(row[8]),
                unit_id=row[9],
            )
            for row in db.execute(statement, params)
        ]
    return [
        AggRow(
            target_id=row[0],
            own=bool(row[1]),
            indicator_id=row[2],
            key=slot_of(row[3]),
            value=row[4],
            reported=int(row[5]),
            periods=int(row[6] or 0),
            last=row[7],
            first_last=row[8],
            provisional=row[9] == "p",
            remapped=bool(row[10]),
        )
        for row in db.execute(statement, params)
    ]
