"""Load the shipped administrative data into the database: idempotent and all or nothing.

``load_reference_data`` runs inside the caller's transaction. It first compares a SHA-256 of
the data files (and the loader version) with the one stored in ``reference_data``: equal
means nothing to do and it returns at once. Otherwise it parses and checks every file
(:mod:`.dataset`) before writing anything, so a bad row raises ``import_failed`` with nothing
written. Writing keeps the ids of units that already exist (other domains point at them),
inserts new ones with explicit ids, updates changed ones and removes reference units that
disappeared; locally created agencies are kept. The closure table, successions and
boundaries are derived data and are rewritten whole.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter
from typing import Any

from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dieuhanh.core.db import Base, utcnow
from dieuhanh.core.errors import ProblemError
from dieuhanh.core.text import fold, sort_key
from dieuhanh.domains.units.bulk import insert_rows, sync_id_sequence
from dieuhanh.domains.units.dataset import (
    DATA_DIR,
    Dataset,
    Key,
    UnitRow,
    checksum,
    read_dataset,
)
from dieuhanh.domains.units.models import (
    ReferenceData,
    Unit,
    UnitClosure,
    UnitGeometry,
    UnitHierarchy,
    UnitSuccession,
)
from dieuhanh.domains.units.reference import (
    CURRENT,
    HIERARCHIES,
    HIERARCHY_BY_CODE,
    LEVELS,
    REFORM_DATE,
)

Progress = Callable[[str, int, int], None]
DATASET_NAME = "admin_units"

UNIT_COLUMNS = (
    "id", "hierarchy", "code", "level", "level_rank", "type", "name", "short_name", "parent_id",
    "valid_from", "valid_to", "area_km2", "agency_kind", "origin", "search_key", "sort_key",
)  # fmt: skip
COL = {name: index for index, name in enumerate(UNIT_COLUMNS)}
CLOSURE_COLUMNS = ("ancestor_id", "descendant_id", "depth", "hierarchy")
SUCCESSION_COLUMNS = (
    "predecessor_id", "successor_id", "kind", "weight", "is_default", "effective",
)  # fmt: skip
GEOMETRY_COLUMNS = (
    "unit_id", "geojson", "min_lon", "min_lat", "max_lon", "max_lat", "source",
)  # fmt: skip


@dataclass
class LoadReport:
    """What a load did; ``summary()`` is what the CLI prints."""

    units: int = 0
    agencies: int = 0
    closure: int = 0
    successions: int = 0
    boundaries: int = 0
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    skipped: bool = False
    checksum: str = ""
    seconds: float = 0.0

    def summary(self) -> str:
        if self.skipped:
            return f"already up to date (data {self.checksum[:12]}), {self.seconds:.2f} s"
        return (
            f"{self.units:,} units ({self.agencies:,} agencies; {self.inserted:,} new, "
            f"{self.updated:,} changed, {self.deleted:,} removed), {self.closure:,} closure "
            f"rows, {self.successions:,} successions, {self.boundaries} boundaries "
            f"in {self.seconds:.2f} s"
        )


def search_key(name: str, short_name: str, code: str) -> str:
    """Folded words of name, short name and code, each once (``search_units`` matches every
    query word as a substring; no query word spans a space, so repeats add nothing but
    length to scan)."""
    return " ".join(dict.fromkeys(fold(f"{name} {short_name} {code}").split()))


def _table(model: type[Base]) -> Table:
    return Base.metadata.tables[model.__tablename__]


def _noop(_label: str, _done: int, _total: int) -> None:
    return None


def load_reference_data(
    *,
    db: Session,
    home_province: str,
    progress: Progress | None = None,
    data_dir: Path | None = None,
) -> LoadReport:
    """Load or refresh units, closure, successions, agencies and boundaries (idempotent)."""
    started = perf_counter()
    report = progress or _noop
    folder = data_dir or DATA_DIR
    digest = checksum(folder, home_province)
    marker = db.get(ReferenceData, DATASET_NAME)
    if marker is not None and marker.checksum == digest:  # the home province is part of it
        return LoadReport(
            units=marker.row_count,
            skipped=True,
            checksum=digest,
            seconds=perf_counter() - started,
        )
    report("Reading data files", 0, 1)
    dataset = read_dataset(folder, home_province)
    report("Reading data files", 1, 1)
    if not any(
        u.hierarchy == CURRENT and u.level == "province" and u.code == home_province
        for u in dataset.units
    ):
        raise ProblemError(
            "unit_not_found", detail=f"home province {home_province!r} is not a current province"
        )
    result = _write(db, dataset, report)
    result.checksum = digest
    result.seconds = perf_counter() - started
    return result


def _write(db: Session, dataset: Dataset, report: Progress) -> LoadReport:
    _upsert_hierarchies(db)
    table = _table(Unit)
    existing: dict[Key, tuple[Any, ...]] = {}
    local: dict[int, tuple[int | None, str]] = {}  # id -> (parent_id, hierarchy)
    next_id = 1
    for found in db.execute(select(*(table.c[c] for c in UNIT_COLUMNS))):
        values = tuple(found)
        next_id = max(next_id, values[COL["id"]] + 1)
        if values[COL["origin"]] == "reference":
            existing[(values[COL["hierarchy"]], values[COL["code"]])] = values
        else:
            local[values[COL["id"]]] = (values[COL["parent_id"]], values[COL["hierarchy"]])

    ids: dict[Key, int] = {}
    inserts: list[tuple[Any, ...]] = []
    updates: list[tuple[Any, ...]] = []
    for unit in dataset.units:
        key = (unit.hierarchy, unit.code)
        old = existing.pop(key, None)
        if old is None:
            ids[key] = next_id
            next_id += 1
        else:
            ids[key] = old[COL["id"]]
        row = _unit_row(unit, ids[key], ids)
        if old is None:
            inserts.append(row)
        elif row != old:
            updates.append(row)
    _refuse_local_clashes(db, dataset, local)

    report("Units", 0, len(dataset.units))
    for derived in (UnitClosure, UnitSuccession, UnitGeometry):
        db.execute(delete(derived))
    stale = sorted(existing.values(), key=lambda v: -int(v[COL["level_rank"]]))
    _delete_units(db, [v[COL["id"]] for v in stale])
    insert_rows(
        db,
        table,
        UNIT_COLUMNS,
        inserts,
        on_chunk=lambda n: report("Units", n, len(dataset.units)),
    )
    _update_units(db, updates)
    sync_id_sequence(db, table)
    report("Units", len(dataset.units), len(dataset.units))

    parents = {
        ids[(u.hierarchy, u.code)]: (
            ids[(u.hierarchy, u.parent)] if u.parent else None,
            u.hierarchy,
        )
        for u in dataset.units
    }
    parents.update(local)
    closure = _closure_rows(parents)
    report("Hierarchy (closure)", 0, len(closure))
    insert_rows(
        db,
        _table(UnitClosure),
        CLOSURE_COLUMNS,
        closure,
        on_chunk=lambda n: report("Hierarchy (closure)", n, len(closure)),
    )
    successions = sorted(
        (ids[s.predecessor], ids[s.successor], s.kind, s.weight, s.is_default, REFORM_DATE)
        for s in dataset.successions
    )
    report("Successions", 0, len(successions))
    insert_rows(db, _table(UnitSuccession), SUCCESSION_COLUMNS, successions)
    report("Successions", len(successions), len(successions))
    geometries = sorted((ids[g.unit], g.geojson, *g.bbox, g.source) for g in dataset.geometries)
    insert_rows(db, _table(UnitGeometry), GEOMETRY_COLUMNS, geometries)
    report("Boundaries", len(geometries), len(geometries))

    total = len(dataset.units) + len(local)
    _store_marker(db, dataset.checksum, total)
    return LoadReport(
        units=total,
        agencies=sum(1 for u in dataset.units if u.level == "agency") + len(local),
        closure=len(closure),
        successions=len(successions),
        boundaries=len(geometries),
        inserted=len(inserts),
        updated=len(updates),
        deleted=len(stale),
    )


def _unit_row(unit: UnitRow, unit_id: int, ids: dict[Key, int]) -> tuple[Any, ...]:
    spec = HIERARCHY_BY_CODE[unit.hierarchy]
    parent_id = ids[(unit.hierarchy, unit.parent)] if unit.parent else None
    return (
        unit_id, unit.hierarchy, unit.code, unit.level, LEVELS.index(unit.level), unit.type,
        unit.name, unit.short_name, parent_id, spec.valid_from, spec.valid_to, unit.area_km2,
        unit.agency_kind,
        "reference", search_key(unit.name, unit.short_name, unit.code),
        sort_key(unit.short_name),
    )  # fmt: skip


def _refuse_local_clashes(
    db: Session, dataset: Dataset, local: dict[int, tuple[int | None, str]]
) -> None:
    """A locally added agency whose code now exists in the reference data cannot be kept."""
    if not local:
        return
    wanted = {(u.hierarchy, u.code) for u in dataset.units}
    rows = db.execute(select(Unit.hierarchy, Unit.code).where(Unit.id.in_(list(local))))
    clashes = [
        {"file": None, "row": None, "column": "code", "message": f"{code} ({hierarchy}) was "
         "added locally and now exists in the reference data"}
        for hierarchy, code in rows
        if (hierarchy, code) in wanted
    ]  # fmt: skip
    if clashes:
        raise ProblemError("import_failed", errors=clashes)


def _delete_units(db: Session, unit_ids: list[int]) -> None:
    try:
        for unit_id in unit_ids:
            db.execute(delete(Unit).where(Unit.id == unit_id))
    except IntegrityError as exc:
        raise ProblemError(
            "import_failed",
            detail="a unit that left the reference data is still referenced",
            errors=[{"file": None, "row": None, "column": None, "message": str(exc.orig)}],
        ) from exc


def _update_units(db: Session, rows: list[tuple[Any, ...]]) -> None:
    if not rows:
        return
    columns = UNIT_COLUMNS[1:]
    table = _table(Unit)
    statement = (
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values({c: bindparam(f"b_{c}") for c in columns})
    )
    params = [{f"b_{c}": v for c, v in zip(UNIT_COLUMNS, row, strict=True)} for row in rows]
    db.execute(statement, params)


def _closure_rows(parents: dict[int, tuple[int | None, str]]) -> list[tuple[int, int, int, str]]:
    """Every (ancestor, descendant, depth, hierarchy), sorted by primary key for fast inserts."""
    chains: dict[int, list[int]] = {}

    def chain(unit_id: int) -> list[int]:
        found = chains.get(unit_id)
        if found is not None:
            return found
        path = [unit_id]
        cursor = parents[unit_id][0]
        while cursor is not None:
            if cursor in chains:
                path.extend(chains[cursor])
                break
            path.append(cursor)
            cursor = parents[cursor][0]
        chains[unit_id] = path
        return path

    rows = [
        (ancestor, unit_id, depth, hierarchy)
        for unit_id, (_parent, hierarchy) in parents.items()
        for depth, ancestor in enumerate(chain(unit_id))
    ]
    rows.sort()
    return rows


def _upsert_hierarchies(db: Session) -> None:
    present = set(db.scalars(select(UnitHierarchy.code)))
    for spec in HIERARCHIES:
        values = {"name": spec.name, "valid_from": spec.valid_from, "valid_to": spec.valid_to}
        if spec.code in present:
            db.execute(
                update(UnitHierarchy).where(UnitHierarchy.code == spec.code).values(**values)
            )
        else:
            db.execute(insert(UnitHierarchy).values(code=spec.code, **values))


def _store_marker(db: Session, digest: str, row_count: int) -> None:
    db.execute(delete(ReferenceData).where(ReferenceData.name == DATASET_NAME))
    db.execute(
        insert(ReferenceData).values(
            name=DATASET_NAME, checksum=digest, loaded_at=utcnow(), row_count=row_count
        )
    )
    db.expire_all()  # ORM objects read before the bulk writes may be stale now
