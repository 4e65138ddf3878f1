"""Which units' data make up which target, for other domains' aggregations: the roll-up
map across the 2025 reform, the strict ancestors of units, and the id runs of a hierarchy.

Kept apart from the unit lookups in :mod:`.queries` because only aggregating code (the
indicators engine and its roll-ups) needs them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import BindParameter, Select, func, literal, or_, select, union_all
from sqlalchemy.orm import Session, aliased

from dieuhanh.core.db import read_cache
from dieuhanh.domains.units.models import Unit, UnitClosure, UnitSuccession
from dieuhanh.domains.units.queries import _level_rank
from dieuhanh.domains.units.reference import CURRENT, LEGACY, LEVELS

# --- roll-up maps across the reform (for other domains' aggregations) -----------------------

# The administrative levels each hierarchy has: the 2025 map has no districts.
HIERARCHY_LEVELS: dict[str, tuple[str, ...]] = {
    LEGACY: ("nation", "province", "district", "commune"),
    CURRENT: ("nation", "province", "commune"),
}


def level_in(hierarchy: str, level: str) -> str:
    """``level`` if ``hierarchy`` has it, else the next coarser level it has: a district-level
    series lives on in the 2025 map at province level (legacy districts were ``absorbed``)."""
    rank = _level_rank(level)
    found = [name for name in HIERARCHY_LEVELS[hierarchy] if LEVELS.index(name) <= rank]
    return found[-1]


def rollup_map(
    *, target_ids: Sequence[int] | BindParameter[Any], hierarchy: str, level: str
) -> Select[Any]:
    """Which units' data make up each target, as one SQL selectable to join observations to.

    Columns ``(src_id, unit_id, target_id, weight, remapped)``: ``unit_id`` is a unit of
    ``hierarchy`` at ``level_in(hierarchy, level)`` inside ``target_id``'s subtree (the
    target itself when it is at that level); ``src_id`` is a unit whose stored values count
    for ``unit_id``: the unit itself (``remapped`` 0, weight 1) or a unit of the *other*
    hierarchy linked to it by a succession (``remapped`` 1). Legacy → 2025 uses the
    succession weight (a split commune's share); 2025 → legacy spreads a current unit over its
    predecessors, the weight normalised over them so that shares add up to the whole. Legacy
    island districts ``converted`` to special zones count as communes.

    Returned as a query rather than rows so that a roll-up is one ``JOIN … GROUP BY`` in the
    database, never a loop over thousands of ids in Python. ``target_ids`` may be an
    expanding bound parameter: callers that keep the statement for many requests (building
    it costs more than running it) give the ids when it runs.
    """
    targets: Any = target_ids if isinstance(target_ids, BindParameter) else list(target_ids)
    other = LEGACY if hierarchy == CURRENT else CURRENT
    here, there = level_in(hierarchy, level), level_in(other, level)
    member, source = aliased(Unit, name="member"), aliased(Unit, name="source")
    direct = (
        select(
            UnitClosure.descendant_id.label("src_id"),
            UnitClosure.descendant_id.label("unit_id"),
            UnitClosure.ancestor_id.label("target_id"),
            literal(1.0).label("weight"),
            literal(0).label("remapped"),
        )
        .join(member, member.id == UnitClosure.descendant_id)
        .where(UnitClosure.ancestor_id.in_(targets), member.level_rank == LEVELS.index(here))
        .cte()  # anonymous: a query may hold several maps
    )
    # The crossing starts from the (few) member units and follows their successions, so the
    # database walks the succession index from each member instead of scanning every unit.
    if hierarchy == CURRENT:
        wanted = source.level_rank == LEVELS.index(there)
        if here == "commune":
            wanted = or_(wanted, UnitSuccession.kind == "converted")
        crossed = (
            select(
                UnitSuccession.predecessor_id,
                direct.c.unit_id,
                direct.c.target_id,
                UnitSuccession.weight,
                literal(1),
            )
            .select_from(direct)
            .join(UnitSuccession, UnitSuccession.successor_id == direct.c.unit_id)
            .join(source, source.id == UnitSuccession.predecessor_id)
            .where(wanted)
        )
        return union_all(select(direct), crossed).subquery("rollup_map").select()
    before = aliased(Unit, name="before")
    shares = (
        select(
            UnitSuccession.successor_id.label("successor_id"),
            func.sum(UnitSuccession.weight).label("total"),
        )
        .join(before, before.id == UnitSuccession.predecessor_id)
        .where(before.hierarchy == LEGACY, before.level_rank == LEVELS.index(here))
        .group_by(UnitSuccession.successor_id)
        .subquery("shares")
    )
    crossed = (
        select(
            UnitSuccession.successor_id,
            direct.c.unit_id,
            direct.c.target_id,
            UnitSuccession.weight / shares.c.total,
            literal(1),
        )
        .select_from(direct)
        .join(UnitSuccession, UnitSuccession.predecessor_id == direct.c.unit_id)
        .join(source, source.id == UnitSuccession.successor_id)
        .join(shares, shares.c.successor_id == UnitSuccession.successor_id)
        .where(source.level_rank == LEVELS.index(there))
    )
    return union_all(select(direct), crossed).subquery("rollup_map").select()


def id_runs(*, db: Session, hierarchy: str) -> list[tuple[int, int]]:
    """The ids of a hierarchy's units as runs of consecutive integers ``(first, last)``.

    A hierarchy is loaded as one block, so this is usually a single run: other domains use
    it to ask "is any of these rows about a unit of that map?" as a few primary-key ranges
    instead of thousands of look-ups.
    """
    cache = read_cache(db, "units.id_runs")
    if cache is not None and hierarchy in cache:
        return list(cache[hierarchy])
    found = _id_runs(db, hierarchy)
    if cache is not None:
        cache[hierarchy] = tuple(found)
    return found


def _id_runs(db: Session, hierarchy: str) -> list[tuple[int, int]]:
    first, last, count = db.execute(
        select(func.min(Unit.id), func.max(Unit.id), func.count()).where(
            Unit.hierarchy == hierarchy
        )
    ).one()
    if not count:
        return []
    if last - first + 1 == count:
        return [(int(first), int(last))]  # the usual case, answered from the index alone
    ordered = select(
        Unit.id.label("id"),
        (Unit.id - func.row_number().over(order_by=Unit.id)).label("island"),
    ).where(Unit.hierarchy == hierarchy)
    runs = ordered.subquery("ordered")
    rows = db.execute(
        select(func.min(runs.c.id), func.max(runs.c.id))
        .group_by(runs.c.island)
        .order_by(func.min(runs.c.id))
    )
    return [(int(first), int(last)) for first, last in rows]


def ancestry_select(descendant_ids: Sequence[int] | None = None) -> Select[int, int, int]:
    """``(ancestor_id, descendant_id, level_rank)`` for every strict ancestor of each unit
    (``level_rank`` is the descendant's), all units when ``descendant_ids`` is None.

    Other domains keep per-ancestor aggregates of what units report (the indicators'
    roll-up table); this is the one place that knows how the closure is stored."""
    statement = (
        select(
            UnitClosure.ancestor_id.label("ancestor_id"),
            UnitClosure.descendant_id.label("descendant_id"),
            Unit.level_rank.label("level_rank"),
        )
        .join(Unit, Unit.id == UnitClosure.descendant_id)
        .where(UnitClosure.depth > 0)
    )
    if descendant_ids is not None:
        statement = statement.where(UnitClosure.descendant_id.in_(list(descendant_ids)))
    return statement


def level_rank(level: str) -> int:
    """The stored rank of a level name (nation 0 … commune 3, agency 4)."""
    return _level_rank(level)
