"""Targets: the plan value of an indicator for a unit and a year, optionally phased by month.

A plan is adopted for a unit and a year as a whole (a People's Council resolution), so
:func:`set_targets` replaces every target of each unit-year it is given: sending the annual
value and twelve monthly phases replaces the previous plan, and nothing of it lingers. Rows
go through the ORM, a few dozen at a time, so the audit log records who set which plan.

A unit code is read on the map in force at the end of the plan's year (``2024`` → the legacy
map, ``2025`` and later → the 2025 map) unless the row names a hierarchy.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dieuhanh.core.errors import ProblemError
from dieuhanh.core.security import Actor
from dieuhanh.domains.indicators import versions
from dieuhanh.domains.indicators.catalog import require_action, row_by_code
from dieuhanh.domains.indicators.catalog_checks import error, invalid, known_error
from dieuhanh.domains.indicators.models import Target
from dieuhanh.domains.indicators.schemas import TargetIn, TargetOut
from dieuhanh.domains.units import service as units_service
from dieuhanh.domains.units.service import UnitOut

TARGETS = "indicators.targets"
_PLANNED_LEVELS = frozenset({"nation", "province", "district", "commune"})


def _out(code: str, unit: UnitOut, row: Target) -> TargetOut:
    return TargetOut(
        indicator=code,
        unit=unit.code,
        unit_name=unit.name,
        hierarchy=unit.hierarchy,
        unit_id=unit.id,
        year=row.year,
        month=row.month,
        value=row.value,
        source=row.source,
    )


def _resolve_units(
    db: Session, actor: Actor, rows: list[TargetIn]
) -> tuple[list[UnitOut], list[dict[str, Any]], list[dict[str, Any]]]:
    """The unit of every row; invalid rows and rows outside the actor's scope, apart."""
    units: list[UnitOut] = []
    errors: list[dict[str, Any]] = []
    outside: list[dict[str, Any]] = []
    cache: dict[tuple[str, str | None, int], UnitOut | None] = {}
    seen: set[tuple[int, int, int]] = set()
    for index, target in enumerate(rows):
        where = ("body", index, "unit")
        key = (target.unit, target.hierarchy, target.year)
        if key not in cache:
            try:
                cache[key] = units_service.get_unit(
                    db=db,
                    code=target.unit,
                    as_of=date(target.year, 12, 31),
                    hierarchy=target.hierarchy,
                )
            except ProblemError:
                cache[key] = None
        unit = cache[key]
        if unit is None:
            errors.append(known_error(where, "unknown_unit", value=target.unit))
            continue
        if unit.level not in _PLANNED_LEVELS:
            errors.append(known_error(where, "not_a_territory"))
            continue
        slot = (unit.id, target.year, target.month)
        if slot in seen:
            errors.append(known_error(("body", index, "month"), "duplicate_target"))
        seen.add(slot)
        if actor.scope_unit_id is not None and not units_service.is_within(
            db=db, unit_id=unit.id, scope_unit_id=actor.scope_unit_id
        ):
            outside.append(error(where, "out_of_scope", f"{unit.code} is outside your scope"))
        units.append(unit)
    return units, errors, outside


def set_targets(*, db: Session, actor: Actor, code: str, rows: list[TargetIn]) -> list[TargetOut]:
    """Replace the plans of every unit-year in ``rows`` (``indicators.targets``, in scope).

    All or nothing: one unknown unit, duplicate month or unit outside the caller's scope and
    nothing is written.
    """
    require_action(actor, TARGETS)
    db.info["actor"] = actor
    indicator = row_by_code(db, code)
    units, errors, outside = _resolve_units(db, actor, rows)
    if errors:
        raise invalid(errors)
    if outside:
        raise ProblemError(
            "out_of_scope", detail="some units are outside your scope", errors=outside
        )
    by_unit_year: dict[tuple[int, int], list[tuple[UnitOut, TargetIn]]] = defaultdict(list)
    for unit, target in zip(units, rows, strict=True):
        by_unit_year[(unit.id, target.year)].append((unit, target))
    written: list[TargetOut] = []
    for (unit_id, year), items in sorted(by_unit_year.items()):
        old = db.scalars(
            select(Target).where(
                Target.indicator_id == indicator.id, Target.unit_id == unit_id, Target.year == year
            )
        )
        for stale in old:
            db.delete(stale)
        db.flush()
        for unit, target in sorted(items, key=lambda item: item[1].month):
            row = Target(
                indicator_id=indicator.id,
                unit_id=unit_id,
                year=year,
                month=target.month,
                value=target.value,
                source=target.source,
            )
            db.add(row)
            written.append(_out(code, unit, row))
    versions.bump(db)
    db.flush()
    return written


def get_targets(
    *,
    db: Session,
    code: str,
    unit_id: int | None = None,
    year: int | None = None,
    scope_unit_id: int | None = None,
) -> list[TargetOut]:
    """Plans of an indicator, by unit, year and month (annual value first).

    ``scope_unit_id`` keeps only units inside that subtree (and legacy units succeeded into
    it); ``unit_id`` and ``year`` narrow further.
    """
    indicator = row_by_code(db, code)
    conditions = [Target.indicator_id == indicator.id]
    if unit_id is not None:
        conditions.append(Target.unit_id == unit_id)
    if year is not None:
        conditions.append(Target.year == year)
    if scope_unit_id is not None:
        conditions.append(Target.unit_id.in_(units_service.subtree_ids_select(scope_unit_id)))
    rows = db.scalars(
        select(Target).where(*conditions).order_by(Target.unit_id, Target.year, Target.month)
    ).all()
    units: dict[int, UnitOut] = {}
    result = []
    for row in rows:
        if row.unit_id not in units:
            units[row.unit_id] = units_service.get_unit_by_id(db=db, unit_id=row.unit_id)
        result.append(_out(code, units[row.unit_id], row))
    return result
