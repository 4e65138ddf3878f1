"""Reading units: lookups by code, search, tree walks, successions, scope.

Every tree question is one indexed query on ``unit_closure``. Scope crosses the 2025 reform
through successions: a user scoped to current Đà Nẵng (48) also sees legacy Quảng Nam (49),
its districts and communes, because they were succeeded into 48's subtree. The rule is one
step (legacy → 2025); a later reform would add another step here.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    and_,
    exists,
    func,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session, aliased

from dieuhanh.core.db import read_cache
from dieuhanh.core.errors import ProblemError
from dieuhanh.core.text import fold
from dieuhanh.domains.units.models import Unit, UnitClosure, UnitGeometry, UnitSuccession
from dieuhanh.domains.units.reference import (
    CURRENT,
    HIERARCHY_BY_CODE,
    LEGACY,
    LEVELS,
    hierarchy_for,
    today,
)
from dieuhanh.domains.units.schemas import HomeSummary, SuccessionOut, UnitOut, UnitRef

Parent = aliased(Unit, name="parent")


def resolve_hierarchy(as_of: date | None, hierarchy: str | None) -> str:
    """The hierarchy version to read: an explicit one wins, else the one in force on
    ``as_of`` (default: today in Vietnam). ``as_of`` only picks the version; units inside a
    version are not filtered by their own dates (a local agency added in 2026 is part of
    the 2025 map whatever the date asked for)."""
    if hierarchy is not None:
        if hierarchy not in HIERARCHY_BY_CODE:
            raise ProblemError(
                "validation_error",
                errors=[{"location": ["hierarchy"], "message": f"unknown {hierarchy!r}"}],
            )
        return hierarchy
    return hierarchy_for(as_of or today())


def _level_rank(level: str) -> int:
    if level not in LEVELS:
        raise ProblemError(
            "validation_error", errors=[{"location": ["level"], "message": f"unknown {level!r}"}]
        )
    return LEVELS.index(level)


_OUT_FIELDS = tuple(name for name in UnitOut.model_fields if name != "parent_code")


def _select_units() -> Select[Any]:
    """Plain columns, not ORM entities: lists build their schemas straight from the rows."""
    columns = [getattr(Unit, name) for name in _OUT_FIELDS]
    return select(*columns, Parent.code.label("parent_code")).outerjoin(
        Parent, Parent.id == Unit.parent_id
    )


def _out(row: Row[Any]) -> UnitOut:
    values = row._mapping
    data = {name: values[name] for name in _OUT_FIELDS}
    data["parent_code"] = values["parent_code"]
    return UnitOut.model_validate(data)


def _ref(unit: Unit) -> UnitRef:
    return UnitRef(
        code=unit.code,
        hierarchy=unit.hierarchy,
        level=unit.level,
        type=unit.type,
        name=unit.name,
        short_name=unit.short_name,
    )


def _not_found(code: str, hierarchy: str) -> ProblemError:
    return ProblemError("unit_not_found", detail=f"no unit {code!r} in hierarchy {hierarchy}")


# --- single units ----------------------------------------------------------------------------


def get_unit(
    *,
    db: Session,
    code: str,
    as_of: date | None = None,
    hierarchy: str | None = None,
    scope_unit_id: int | None = None,
) -> UnitOut:
    """The unit with ``code`` in the hierarchy valid on ``as_of`` (default today).

    Raises ``unit_not_found``, or ``out_of_scope`` when ``scope_unit_id`` is given and the
    unit lies outside that subtree (successions included).
    """
    version = resolve_hierarchy(as_of, hierarchy)
    cache = read_cache(db, "units.by_code")
    unit = cache.get((version, code)) if cache is not None else None
    if unit is None:
        row = db.execute(
            _select_units().where(Unit.hierarchy == version, Unit.code == code)
        ).first()
        if row is None:
            raise _not_found(code, version)
        unit = _out(row)
        if cache is not None:
            cache[(version, code)] = unit
    if scope_unit_id is not None and not is_within(
        db=db, unit_id=unit.id, scope_unit_id=scope_unit_id
    ):
        raise ProblemError("out_of_scope", detail=f"{code} is outside your scope")
    return unit


def get_unit_by_id(*, db: Session, unit_id: int) -> UnitOut:
    """One unit by id (remembered for a read session: an indicator list names its owner
    agency for every indicator, and a dashboard lists indicators several times)."""
    cache = read_cache(db, "units.by_id")
    if cache is not None and unit_id in cache:
        found: UnitOut = cache[unit_id]
        return found
    row = db.execute(_select_units().where(Unit.id == unit_id)).first()
    if row is None:
        raise ProblemError("unit_not_found", detail=f"no unit with id {unit_id}")
    unit = _out(row)
    if cache is not None:
        cache[unit_id] = unit
    return unit


# --- lists -----------------------------------------------------------------------------------


def _like_words(q: str | None) -> list[ColumnElement[bool]]:
    """Every folded word of ``q`` must occur in the search key (diacritics/case ignored)."""
    if not q:
        return []
    conditions: list[ColumnElement[bool]] = []
    for word in fold(q).split():
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(Unit.search_key.like(f"%{escaped}%", escape="\\"))
    return conditions


def search_units(
    *,
    db: Session,
    q: str | None = None,
    level: str | None = None,
    parent: str | None = None,
    as_of: date | None = None,
    hierarchy: str | None = None,
    limit: int = 50,
    offset: int = 0,
    scope_unit_id: int | None = None,
) -> tuple[list[UnitOut], int]:
    """Units of one hierarchy matching every word of ``q``: provinces before communes before
    agencies, each level in Vietnamese dictionary order.

    Both queries read ``ix_units_search``: the total counts index entries only, and the page
    is an ordered index scan that stops once ``offset + limit`` matches are found.
    """
    version = resolve_hierarchy(as_of, hierarchy)
    conditions = [Unit.hierarchy == version, *_like_words(q)]
    if level is not None:
        conditions.append(Unit.level_rank == _level_rank(level))
    if parent is not None:
        parent_unit = get_unit(db=db, code=parent, hierarchy=version)
        conditions.append(Unit.parent_id == parent_unit.id)
    if scope_unit_id is not None:
        conditions.append(Unit.id.in_(subtree_ids_select(scope_unit_id)))
    statement = (
        _select_units()
        .where(*conditions)
        .order_by(Unit.level_rank, Unit.sort_key, Unit.code)
        .limit(limit)
        .offset(offset)
    )
    items = [_out(row) for row in db.execute(statement)]
    if 0 < len(items) < limit or (offset == 0 and not items):
        return items, offset + len(items)  # a short page ends the list: no count needed
    return items, db.scalar(select(func.count(Unit.id)).where(*conditions)) or 0


def children(
    *,
    db: Session,
    unit_id: int,
    level: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> tuple[list[UnitOut], int]:
    """Direct children: administrative units first, then agencies, each in Vietnamese order."""
    conditions = [Unit.parent_id == unit_id]
    if level is not None:
        conditions.append(Unit.level_rank == _level_rank(level))
    total = db.scalar(select(func.count()).select_from(Unit).where(*conditions)) or 0
    statement = (
        _select_units()
        .where(*conditions)
        .order_by(Unit.level_rank, Unit.sort_key, Unit.code)
        .limit(limit)
        .offset(offset)
    )
    return [_out(row) for row in db.execute(statement)], total


def ancestors(*, db: Session, unit_id: int) -> list[UnitOut]:
    """The unit's ancestors in breadcrumb order: nation first, parent last."""
    statement = (
        _select_units()
        .join(UnitClosure, UnitClosure.ancestor_id == Unit.id)
        .where(UnitClosure.descendant_id == unit_id, UnitClosure.depth > 0)
        .order_by(UnitClosure.depth.desc())
    )
    return [_out(row) for row in db.execute(statement)]


def _ancestor_refs(db: Session, unit_ids: list[int]) -> dict[int, list[UnitRef]]:
    """Province and district (not the nation) of several units in one query, top first."""
    found: dict[int, list[UnitRef]] = defaultdict(list)
    if not unit_ids:
        return found
    statement = (
        select(UnitClosure.descendant_id, Unit)
        .join(Unit, Unit.id == UnitClosure.ancestor_id)
        .where(
            UnitClosure.descendant_id.in_(unit_ids),
            UnitClosure.depth > 0,
            Unit.level != "nation",
        )
        .order_by(UnitClosure.descendant_id, UnitClosure.depth.desc())
    )
    for descendant_id, unit in db.execute(statement):
        found[descendant_id].append(_ref(unit))
    return found


def _successions(db: Session, unit_id: int, *, forward: bool) -> list[SuccessionOut]:
    mine = UnitSuccession.predecessor_id if forward else UnitSuccession.successor_id
    other = UnitSuccession.successor_id if forward else UnitSuccession.predecessor_id
    statement = (
        _select_units()
        .add_columns(
            UnitSuccession.kind,
            UnitSuccession.weight,
            UnitSuccession.is_default,
            UnitSuccession.effective,
        )
        .join(UnitSuccession, other == Unit.id)
        .where(mine == unit_id)
        .order_by(Unit.level_rank, Unit.sort_key, Unit.code)
    )
    rows = db.execute(statement).all()
    context = _ancestor_refs(db, [row.id for row in rows])
    return [
        SuccessionOut(
            unit=_out(row),
            ancestors=context.get(row.id, []),
            kind=row.kind,
            weight=row.weight,
            is_default=row.is_default,
            effective=row.effective,
        )
        for row in rows
    ]


def predecessors(*, db: Session, unit_id: int) -> list[SuccessionOut]:
    """What the unit was formed from (for a 2025 unit: legacy units, with weights)."""
    return _successions(db, unit_id, forward=False)


def successors(*, db: Session, unit_id: int) -> list[SuccessionOut]:
    """What the unit became (for a legacy unit: 2025 units, with weights)."""
    return _successions(db, unit_id, forward=True)


# --- scope -----------------------------------------------------------------------------------


def subtree_ids_select(unit_id: int, *, across_versions: bool = True) -> Select[int]:
    """Ids of the unit and all its descendants, as a subquery other domains can use::

        select(Observation).where(Observation.unit_id.in_(units.subtree_ids_select(uid)))

    With ``across_versions`` it also yields the units succeeded into that subtree (legacy
    communes, districts and provinces that became part of it).
    """
    own = select(UnitClosure.descendant_id.label("id")).where(UnitClosure.ancestor_id == unit_id)
    if not across_versions:
        return own
    inner = aliased(UnitClosure)
    absorbed = (
        select(UnitSuccession.predecessor_id.label("id"))
        .join(inner, inner.descendant_id == UnitSuccession.successor_id)
        .where(inner.ancestor_id == unit_id)
    )
    both = union_all(own, absorbed).subquery("subtree")
    return select(both.c.id)


def is_within(*, db: Session, unit_id: int, scope_unit_id: int) -> bool:
    """Whether ``unit_id`` is ``scope_unit_id``, below it, or was succeeded into its subtree."""
    direct = exists().where(
        UnitClosure.ancestor_id == scope_unit_id, UnitClosure.descendant_id == unit_id
    )
    via_successor = exists().where(
        UnitSuccession.predecessor_id == unit_id,
        UnitClosure.descendant_id == UnitSuccession.successor_id,
        UnitClosure.ancestor_id == scope_unit_id,
    )
    return bool(db.scalar(select(or_(direct, via_successor))))


def scope_ids(*, db: Session, unit_id: int) -> frozenset[int]:
    """The unit, its ancestors, and the ancestors of what it became (for ``allowed``)."""
    successor_ids = select(UnitSuccession.successor_id).where(
        UnitSuccession.predecessor_id == unit_id
    )
    statement = select(UnitClosure.ancestor_id).where(
        or_(UnitClosure.descendant_id == unit_id, UnitClosure.descendant_id.in_(successor_ids))
    )
    return frozenset(db.scalars(statement))


def units_by_ids(*, db: Session, unit_ids: Iterable[int]) -> dict[int, UnitOut]:
    """Many units by id in a few queries (names for a table of results)."""
    wanted = sorted(set(unit_ids))
    found: dict[int, UnitOut] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        for row in db.execute(_select_units().where(Unit.id.in_(chunk))):
            unit = _out(row)
            found[unit.id] = unit
    return found


# --- boundaries and the home summary ---------------------------------------------------------


def boundary(*, db: Session, unit_id: int) -> dict[str, Any]:
    """The unit's outline as a GeoJSON Feature; ``unit_not_found`` when it has none."""
    row = db.execute(
        select(Unit, UnitGeometry.geojson, UnitGeometry.source)
        .join(UnitGeometry, UnitGeometry.unit_id == Unit.id)
        .where(Unit.id == unit_id)
    ).first()
    if row is None:
        raise ProblemError("unit_not_found", detail="this unit has no boundary")
    unit, geojson, source = row
    return {
        "type": "Feature",
        "id": unit.code,
        "properties": {
            "code": unit.code,
            "hierarchy": unit.hierarchy,
            "level": unit.level,
            "name": unit.name,
            "short_name": unit.short_name,
            "source": source,
            "attribution": "geoBoundaries (public domain), coarse: not for legal use",
        },
        "geometry": json.loads(geojson),
    }


def home_summary(*, db: Session, province_code: str) -> HomeSummary:
    """Name, commune counts by type, agencies, merged legacy provinces and outline."""
    province = get_unit(db=db, code=province_code, hierarchy=CURRENT)
    counts = db.execute(
        select(Unit.type, func.count())
        .where(Unit.parent_id == province.id, Unit.level == "commune")
        .group_by(Unit.type)
        .order_by(Unit.type)
    )
    # not dict(counts): a Result has .keys(), so dict() would take it for a mapping
    by_type: dict[str, int] = {row[0]: row[1] for row in counts}
    departments = db.scalar(
        select(func.count()).where(Unit.parent_id == province.id, Unit.level == "agency")
    )
    agencies = db.scalar(
        select(func.count())
        .select_from(UnitClosure)
        .join(Unit, Unit.id == UnitClosure.descendant_id)
        .where(UnitClosure.ancestor_id == province.id, Unit.level == "agency")
    )
    merged = db.scalars(
        select(Unit)
        .join(UnitSuccession, UnitSuccession.predecessor_id == Unit.id)
        .where(
            and_(
                UnitSuccession.successor_id == province.id,
                Unit.level == "province",
                Unit.hierarchy == LEGACY,
            )
        )
        .order_by(Unit.sort_key)
    )
    try:
        outline: dict[str, Any] | None = boundary(db=db, unit_id=province.id)
    except ProblemError:
        outline = None
    return HomeSummary(
        unit=province,
        communes=sum(by_type.values()),
        communes_by_type=by_type,
        departments=departments or 0,
        agencies=agencies or 0,
        merged_from=[_ref(u) for u in merged],
        boundary=outline,
    )


def has_child_geometry(*, db: Session, unit_id: int) -> bool:
    """Whether any direct child of the unit has an outline (a map can be drawn)."""
    found = db.scalar(
        select(UnitGeometry.unit_id)
        .join(Unit, Unit.id == UnitGeometry.unit_id)
        .where(Unit.parent_id == unit_id)
        .limit(1)
    )
    return found is not None


def child_boundaries(*, db: Session, unit_id: int) -> dict[str, Any]:
    """The direct children's outlines as one GeoJSON FeatureCollection (id = unit code), for
    choropleth maps; children without geometry are left out."""
    rows = db.execute(
        select(Unit.code, Unit.name, Unit.level, Unit.hierarchy, UnitGeometry.geojson)
        .join(UnitGeometry, UnitGeometry.unit_id == Unit.id)
        .where(Unit.parent_id == unit_id)
        .order_by(Unit.code)
    )
    features = [
        {
            "type": "Feature",
            "id": code,
            "properties": {"code": code, "name": name, "level": level, "hierarchy": hierarchy},
            "geometry": json.loads(geojson),
        }
        for code, name, level, hierarchy, geojson in rows
    ]
    return {
        "type": "FeatureCollection",
        "features": features,
        "attribution": "geoBoundaries (public domain), coarse: not for legal use",
    }
