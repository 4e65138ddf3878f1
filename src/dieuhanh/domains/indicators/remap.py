"""Which units' values make up a target, within one hierarchy and across the 2025 reform.

A query names the hierarchy it wants (``as_of`` picks it: before 2025-07-01 ``legacy``,
else ``2025``). For every target unit the engine reads, in this order of preference:

1. **its own value**, stored for the target itself;
2. **the reporting units** of the query's hierarchy inside it, at the indicator's
   ``report_level`` (``level_in``: the 2025 map has no districts, so a district-level
   series is carried by provinces there), aggregated with ``agg_units``;

and for each of those units and each stored period, its own value or, when it has none,
**the values of the other hierarchy mapped through ``unit_successions``** — but only for
periods of the other map's era: legacy data before 2025-07-01 on the 2025 map, current data
from 2025-07-01 on the legacy map. Legacy → 2025 uses the succession weights (a commune split
in two gives each part its share of a sum); 2025 → legacy spreads a current unit over its
predecessors with the weights normalised over them. For averages, minima and maxima a mapped
value counts for each unit it went to (weighted by the share in averages). A value built
this way is flagged ``remapped``. So the 2025-06 value of today's Đà Nẵng (48) is the sum of
legacy Đà Nẵng (48) and Quảng Nam (49), and its series runs on without a break in 2025-07.

Coverage counts the query hierarchy's reporting units: a unit whose value was mapped from
the other map counts as reported when any of its counterparts reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    bindparam,
    func,
    literal,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from dieuhanh.core.db import read_cache
from dieuhanh.domains.units import service as units
from dieuhanh.domains.units.schemas import UnitOut

# a statement of any columns (SQLAlchemy 2.1 types selects by their column types)
MapSelect = Select[*tuple[Any, ...]]
LEVEL_RANK = {"nation": 0, "province": 1, "district": 2, "commune": 3}
_PLANS = "indicators.unit_plans"  # per read session: units do not change within it


@dataclass(frozen=True)
class UnitPlan:
    """The units side of a query: targets, their reporting level and expected counts."""

    hierarchy: str
    report_level: str  # the indicator's report level as declared
    level: str  # the reporting level in this hierarchy (``level_in``)
    targets: tuple[UnitOut, ...]
    expected: dict[int, int]  # target id -> reporting units expected inside it

    @property
    def target_ids(self) -> list[int]:
        return [t.id for t in self.targets]

    def at_level(self, target: UnitOut) -> bool:
        """The target is itself a reporting unit (no roll-up across units)."""
        return target.level == self.level

    @property
    def own_targets(self) -> list[UnitOut]:
        """Targets above or below the reporting level: their own stored values come first."""
        return [t for t in self.targets if not self.at_level(t) and t.level in LEVEL_RANK]

    @property
    def source_units(self) -> int:
        return sum(self.expected.values()) + len(self.own_targets)


def other_hierarchy(hierarchy: str) -> str:
    return units.LEGACY if hierarchy == units.CURRENT else units.CURRENT


def crossing_bounds(hierarchy: str) -> tuple[date | None, date | None]:
    """The stored periods (by start) for which the other map's data may be used:
    before the reform on the 2025 map, from the reform on the legacy map."""
    if hierarchy == units.CURRENT:
        return None, units.REFORM_DATE
    return units.REFORM_DATE, None


def in_other_era(hierarchy: str, start: date) -> bool:
    low, high = crossing_bounds(hierarchy)
    return (low is None or start >= low) and (high is None or start < high)


def plan_units(
    db: Session, *, targets: Sequence[UnitOut], hierarchy: str, report_level: str
) -> UnitPlan:
    """Targets (already scope-checked) and how many reporting units each one expects
    (remembered for a read session: a dashboard asks the same targets many times)."""
    key = (tuple(t.id for t in targets), hierarchy, report_level)
    cache = read_cache(db, _PLANS)
    if cache is None:
        return _plan_units(db, targets=targets, hierarchy=hierarchy, report_level=report_level)
    if key not in cache:
        cache[key] = _plan_units(
            db, targets=targets, hierarchy=hierarchy, report_level=report_level
        )
    found: UnitPlan = cache[key]
    return found


def _plan_units(
    db: Session, *, targets: Sequence[UnitOut], hierarchy: str, report_level: str
) -> UnitPlan:
    level = units.level_in(hierarchy, report_level)
    plan = UnitPlan(hierarchy, report_level, level, tuple(targets), {})
    ids = [t.id for t in targets if LEVEL_RANK.get(t.level, 99) <= LEVEL_RANK[level]]
    if not ids:
        return plan
    counts = db.execute(_counts_statement(hierarchy, report_level), {"plan_ids": ids})
    expected = {row[0]: int(row[1]) for row in counts}
    return UnitPlan(hierarchy, report_level, level, tuple(targets), expected)


@dataclass(frozen=True)
class UnitMap:
    """The unit map of a plan: a statement kept per shape and the ids it runs with."""

    statement: MapSelect
    params: dict[str, Any]
    shape: tuple[object, ...]


@lru_cache(maxsize=64)
def _counts_statement(hierarchy: str, report_level: str) -> Select[Any]:
    """Reporting units per target (the ids bound when it runs: see :func:`map_select`)."""
    ids = bindparam("plan_ids", expanding=True, type_=Integer())
    mapping = units.rollup_map(target_ids=ids, hierarchy=hierarchy, level=report_level).subquery()
    return (
        select(mapping.c.target_id, func.count())
        .where(mapping.c.remapped == 0)
        .group_by(mapping.c.target_id)
    )


def map_select(plan: UnitPlan, *, crossing: bool) -> UnitMap:
    """``(src_id, unit_id, target_id, weight, remapped, own)`` for every target of the plan.

    ``own`` 1 rows carry a target's own values (and its counterparts' across the reform)
    for targets that are not reporting units themselves. Without ``crossing`` the other
    map's rows are left out (the periods asked for are all in the query map's own era).
    The statement depends only on the hierarchy, the levels and which groups of targets
    exist, so it is built once per shape and the target ids are bound when it runs
    (building it costs more than running it on a dashboard's small requests, and a
    drill-down to a unit nobody opened yet then reuses the statements of its neighbours).
    """
    report_ids = [t for t in plan.target_ids if t in plan.expected]
    levels = sorted({t.level for t in plan.own_targets})
    params: dict[str, Any] = {"map_report": report_ids} if report_ids else {}
    for level in levels:
        params[f"map_own_{level}"] = [t.id for t in plan.own_targets if t.level == level]
    shape = (plan.hierarchy, plan.report_level, bool(report_ids), tuple(levels), crossing)
    return UnitMap(_map_select(*shape), params, shape)


@lru_cache(maxsize=256)
def _map_select(
    hierarchy: str,
    report_level: str,
    has_report: bool,
    own_levels: tuple[str, ...],
    crossing: bool,
) -> MapSelect:
    parts: list[MapSelect] = []
    if has_report:
        ids = bindparam("map_report", expanding=True, type_=Integer())
        mapping = units.rollup_map(target_ids=ids, hierarchy=hierarchy, level=report_level)
        parts.append(_columns(mapping.subquery("report_map"), own=0, crossing=crossing))
    for level in own_levels:
        ids = bindparam(f"map_own_{level}", expanding=True, type_=Integer())
        mapping = units.rollup_map(target_ids=ids, hierarchy=hierarchy, level=level)
        parts.append(_columns(mapping.subquery(f"own_map_{level}"), own=1, crossing=crossing))
    if not parts:
        return _columns(None, own=0, crossing=False)
    if len(parts) == 1:
        return parts[0]
    union = union_all(*parts).subquery("unit_map")
    return select(
        union.c.src_id,
        union.c.unit_id,
        union.c.target_id,
        union.c.weight,
        union.c.remapped,
        union.c.own,
    )


def _columns(mapping: object | None, *, own: int, crossing: bool) -> MapSelect:
    """One part of the map with the ``own`` flag; an empty map when ``mapping`` is None."""
    if mapping is None:
        return select(
            literal(0).label("src_id"),
            literal(0).label("unit_id"),
            literal(0).label("target_id"),
            literal(1.0).label("weight"),
            literal(0).label("remapped"),
            literal(0).label("own"),
        ).where(literal(1) == 0)
    c = mapping.c  # type: ignore[attr-defined]
    statement = select(
        c.src_id, c.unit_id, c.target_id, c.weight, c.remapped, literal(own).label("own")
    )
    if not crossing:
        condition: ColumnElement[bool] = c.remapped == 0
        statement = statement.where(condition)
    return statement
