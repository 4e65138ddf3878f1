"""Roll-ups kept on write: per ancestor unit, what the units of each level inside it reported.

Why: a roll-up of one indicator over five years to the 34 provinces would otherwise read
200,000 commune values and group them on every request; with ``observation_rollups`` it
reads 2,040 rows. Dashboards must never wait for a batch rebuild, so the table is refreshed
inside the very transaction that writes the observations (:func:`refresh`): a value written
is in the next query, and a rejected batch rolls its roll-ups back with it.

What is kept, per (indicator, period type, period, disaggregation, ancestor, level of the
reporting units): the sum, the count of units with a value, the minimum, the maximum and how
many are provisional. That answers ``sum``, ``avg``, ``min`` and ``max`` across units for one
stored period exactly; combining periods is exact only when every unit reported every period
(the reader checks the counts, see :mod:`.query_rollup`). Nothing here knows about the 2025
reform: values re-mapped across it are computed by the general statement.

The refresh recomputes each touched group from the observations (no running deltas: a
corrected minimum could not be undone from a delta). The units' closure is read through the
units service; when the administrative units are reloaded, :func:`rebuild` recomputes all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Integer, Table, and_, case, delete, func, insert, literal, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from dieuhanh.domains.indicators.models import Observation, ObservationRollup
from dieuhanh.domains.units import service as units

ROLLUP: Table = ObservationRollup.__table__  # type: ignore[assignment]
OBS: Table = Observation.__table__  # type: ignore[assignment]
# Keep IN lists well below SQLite's variable limit (32,766) and PostgreSQL's planning sweet spot.
CHUNK = 900

_COLUMNS = (
    "indicator_id",
    "period_type",
    "period_start",
    "unit_id",
    "disagg",
    "level_rank",
    "total",
    "reported",
    "lowest",
    "highest",
    "provisional",
)


Key = tuple[int, str, date, int, str]  # indicator, period type, period start, unit, disagg


@dataclass(frozen=True)
class RollupRow:
    """One stored roll-up row, as the query engine reads it."""

    indicator_id: int
    period_start: date
    unit_id: int
    total: float
    reported: int
    lowest: float
    highest: float
    provisional: int


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _ancestors_of(db: Session, unit_ids: Iterable[int]) -> dict[int, tuple[int, list[int]]]:
    """Each unit's level rank and strict ancestors (from the units' closure)."""
    found: dict[int, tuple[int, list[int]]] = {}
    ordered = sorted(set(unit_ids))
    for part in _chunks(ordered):
        ancestry = units.ancestry_select(part).subquery("ancestry")
        for ancestor, descendant, rank in db.execute(
            select(ancestry.c.ancestor_id, ancestry.c.descendant_id, ancestry.c.level_rank)
        ):
            found.setdefault(int(descendant), (int(rank), []))[1].append(int(ancestor))
    return found


def _grouped(
    ancestry: Any,
    *,
    indicator_id: int | None = None,
    period_type: str | None = None,
    disagg: str | None = None,
    starts: Sequence[date] | None = None,
    ancestor_ids: Sequence[int] | None = None,
) -> Any:
    """The roll-up rows computed from the observations, optionally for one group only."""
    o = OBS.alias("o")
    conditions: list[Any] = [o.c.unit_id == ancestry.c.descendant_id]
    if indicator_id is not None:
        conditions += [
            o.c.indicator_id == indicator_id,
            o.c.period_type == period_type,
            o.c.disagg == disagg,
        ]
    if starts is not None:
        conditions.append(o.c.period_start.in_(list(starts)))
    statement = (
        select(
            o.c.indicator_id,
            o.c.period_type,
            o.c.period_start,
            ancestry.c.ancestor_id,
            o.c.disagg,
            ancestry.c.level_rank,
            func.sum(o.c.value),
            func.count(),
            func.min(o.c.value),
            func.max(o.c.value),
            func.sum(case((o.c.status == "p", 1), else_=0)),
        )
        .select_from(ancestry)
        .join(o, and_(*conditions))
        .group_by(
            o.c.indicator_id,
            o.c.period_type,
            o.c.period_start,
            ancestry.c.ancestor_id,
            o.c.disagg,
            ancestry.c.level_rank,
        )
    )
    if ancestor_ids is not None:
        statement = statement.where(ancestry.c.ancestor_id.in_(list(ancestor_ids)))
    return statement


def refresh(
    db: Session, *, inserted: Sequence[tuple[Key, float, str]], corrected: Iterable[Key]
) -> None:
    """Bring the roll-ups up to date with a write, in the caller's transaction.

    New values (``inserted``: key, value, status) are added to their ancestors' rows as
    deltas — a sum, a count, a minimum and a maximum all absorb a new member exactly — with
    one upsert per touched row. Groups with a corrected value are recomputed from the
    observations afterwards, because a corrected minimum cannot be undone from a delta."""
    corrected = list(corrected)
    ancestors = _ancestors_of(db, {k[3] for k, _v, _s in inserted} | {k[3] for k in corrected})
    _add(db, inserted, ancestors)
    if corrected:
        _recompute(db, corrected, ancestors)


def _add(
    db: Session,
    inserted: Sequence[tuple[Key, float, str]],
    ancestors: dict[int, tuple[int, list[int]]],
) -> None:
    deltas: dict[tuple[int, str, date, int, str, int], list[float]] = {}
    for (indicator_id, period_type, start, unit_id, disagg), value, status in inserted:
        found = ancestors.get(unit_id)
        if found is None:
            continue  # a unit without ancestors (a nation)
        rank, above = found
        provisional = 1.0 if status == "p" else 0.0
        for ancestor in above:
            key = (indicator_id, period_type, start, ancestor, disagg, rank)
            delta = deltas.get(key)
            if delta is None:
                deltas[key] = [value, 1.0, value, value, provisional]
            else:
                delta[0] += value
                delta[1] += 1
                if value < delta[2]:
                    delta[2] = value
                if value > delta[3]:
                    delta[3] = value
                delta[4] += provisional
    if not deltas:
        return
    rows = [
        dict(zip(_COLUMNS, (*key, d[0], int(d[1]), d[2], d[3], int(d[4])), strict=True))
        for key, d in sorted(deltas.items())
    ]
    postgres = db.get_bind().dialect.name == "postgresql"
    statement = (pg_insert if postgres else sqlite_insert)(ROLLUP)
    lowest, highest = (func.least, func.greatest) if postgres else (func.min, func.max)
    new = statement.excluded
    upsert = statement.on_conflict_do_update(
        index_elements=list(_COLUMNS[:6]),
        set_={
            "total": ROLLUP.c.total + new.total,
            "reported": ROLLUP.c.reported + new.reported,
            "lowest": lowest(ROLLUP.c.lowest, new.lowest),
            "highest": highest(ROLLUP.c.highest, new.highest),
            "provisional": ROLLUP.c.provisional + new.provisional,
        },
    )
    for part in _chunks(rows, 5000):
        db.execute(upsert, list(part))


def _recompute(
    db: Session, keys: Sequence[Key], ancestors: dict[int, tuple[int, list[int]]]
) -> None:
    """Recompute every group a corrected value belongs to from the stored observations."""
    groups: dict[tuple[int, str, str], tuple[set[date], set[int]]] = {}
    for indicator_id, period_type, start, unit_id, disagg in keys:
        starts, above = groups.setdefault((indicator_id, period_type, disagg), (set(), set()))
        starts.add(start)
        above.update(ancestors.get(unit_id, (0, []))[1])
    for (indicator_id, period_type, disagg), (starts, above) in groups.items():
        ordered_starts = sorted(starts)
        for part in _chunks(sorted(above)):
            db.execute(
                delete(ROLLUP).where(
                    ROLLUP.c.indicator_id == indicator_id,
                    ROLLUP.c.period_type == period_type,
                    ROLLUP.c.disagg == disagg,
                    ROLLUP.c.period_start.in_(ordered_starts),
                    ROLLUP.c.unit_id.in_(list(part)),
                )
            )
            ancestry = units.ancestry_select().subquery("ancestry")
            db.execute(
                insert(ROLLUP).from_select(
                    list(_COLUMNS),
                    _grouped(
                        ancestry,
                        indicator_id=indicator_id,
                        period_type=period_type,
                        disagg=disagg,
                        starts=ordered_starts,
                        ancestor_ids=part,
                    ),
                )
            )


def rebuild(db: Session) -> int:
    """Recompute every roll-up from the observations (after the units were reloaded, or to
    check the maintained ones); returns the number of rows written."""
    db.execute(delete(ROLLUP))
    ancestry = units.ancestry_select().subquery("ancestry")
    db.execute(insert(ROLLUP).from_select(list(_COLUMNS), _grouped(ancestry)))
    return int(db.scalar(select(func.count()).select_from(ROLLUP)) or 0)


def read(
    db: Session,
    *,
    indicator_ids: Sequence[int],
    period_type: str,
    starts: Sequence[date],
    unit_ids: Sequence[int],
    disagg: str,
    level_rank: int,
) -> list[RollupRow]:
    """Stored roll-ups of these units (as ancestors) for the reporting level ``level_rank``."""
    r = ROLLUP
    statement = select(
        r.c.indicator_id,
        r.c.period_start,
        r.c.unit_id,
        r.c.total,
        r.c.reported,
        r.c.lowest,
        r.c.highest,
        r.c.provisional,
    ).where(
        r.c.indicator_id.in_(list(indicator_ids)),
        r.c.period_type == period_type,
        r.c.period_start.in_(list(starts)),
        r.c.unit_id.in_(list(unit_ids)),
        r.c.disagg == disagg,
        r.c.level_rank == literal(level_rank, Integer),
    )
    return [RollupRow(*row) for row in db.execute(statement)]


@dataclass(frozen=True)
class StoredValue:
    """One observation's value, for a unit's own figures read next to the roll-ups."""

    indicator_id: int
    period_start: date
    unit_id: int
    value: float
    status: str


def read_values(
    db: Session,
    *,
    indicator_ids: Sequence[int],
    period_type: str,
    starts: Sequence[date],
    unit_ids: Sequence[int],
    disagg: str,
) -> list[StoredValue]:
    """Stored values of a few units by primary key (their own figures), in period order."""
    o = OBS
    statement = (
        select(o.c.indicator_id, o.c.period_start, o.c.unit_id, o.c.value, o.c.status)
        .where(
            o.c.indicator_id.in_(list(indicator_ids)),
            o.c.period_type == period_type,
            o.c.period_start.in_(list(starts)),
            o.c.unit_id.in_(list(unit_ids)),
            o.c.disagg == disagg,
        )
        .order_by(o.c.period_start)
    )
    return [StoredValue(*row) for row in db.execute(statement)]
