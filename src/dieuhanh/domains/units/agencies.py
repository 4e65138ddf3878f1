"""A province's own agencies, added by administrators.

Written through the ORM in the caller's session so that the auth domain's ``before_flush``
audit hook records who added what; the new unit's closure rows are added in the same flush.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from dieuhanh.core.errors import ProblemError
from dieuhanh.core.security import Actor, allowed
from dieuhanh.core.text import sort_key
from dieuhanh.domains.units.loader import search_key
from dieuhanh.domains.units.models import Unit, UnitClosure
from dieuhanh.domains.units.queries import get_unit, scope_ids
from dieuhanh.domains.units.reference import (
    ADMIN_LEVELS,
    AGENCY_CODE,
    AGENCY_KINDS,
    LEVELS,
    today,
)
from dieuhanh.domains.units.schemas import UnitOut, UnitScope


def _invalid(field: str, message: str) -> ProblemError:
    return ProblemError(
        "validation_error", errors=[{"location": ["body", field], "message": message}]
    )


def _check_fields(code: str, name: str, agency_kind: str, type_: str) -> None:
    errors = []
    if not AGENCY_CODE.match(code):
        errors.append({"location": ["body", "code"], "message": "expected '<unit code>.<suffix>'"})
    if not name.strip():
        errors.append({"location": ["body", "name"], "message": "the name is empty"})
    if not type_.strip():
        errors.append({"location": ["body", "type"], "message": "the type is empty"})
    if agency_kind not in AGENCY_KINDS:
        message = f"unknown agency kind; use one of {', '.join(sorted(AGENCY_KINDS))}"
        errors.append({"location": ["body", "agency_kind"], "message": message})
    if errors:
        raise ProblemError("validation_error", errors=errors)


def create_agency(
    *,
    db: Session,
    actor: Actor,
    parent_code: str,
    code: str,
    name: str,
    agency_kind: str,
    short_name: str | None = None,
    type: str = "Cơ quan",
) -> UnitOut:
    """Add an agency under a current unit in the actor's scope (``units.manage``)."""
    if not allowed(actor, "units.manage"):
        raise ProblemError("forbidden" if actor.is_authenticated else "not_authenticated")
    _check_fields(code, name, agency_kind, type)
    name = name.strip()
    short_name = (short_name or "").strip() or name
    parent = get_unit(db=db, code=parent_code)  # the map in force today
    if parent.level == "nation":
        raise _invalid("parent", "agencies belong to a province, district, commune or agency")
    if not allowed(actor, "units.manage", UnitScope(scope_ids(db=db, unit_id=parent.id))):
        raise ProblemError("out_of_scope", detail=f"{parent.code} is outside your scope")
    admin_code = parent.code
    if parent.level not in ADMIN_LEVELS:
        # an agency under an agency: the prefix is the administrative unit above them
        admin_code = parent.code.split(".", 1)[0]
    if not code.startswith(admin_code + "."):
        raise _invalid("code", f"agency codes under {parent.code} start with '{admin_code}.'")
    taken = db.scalar(select(Unit.id).where(Unit.hierarchy == parent.hierarchy, Unit.code == code))
    if taken is not None:
        raise ProblemError("unit_exists", detail=f"{code} already exists")
    unit = Unit(
        hierarchy=parent.hierarchy,
        code=code,
        level="agency",
        level_rank=LEVELS.index("agency"),
        type=type.strip(),
        name=name,
        short_name=short_name,
        parent_id=parent.id,
        valid_from=today(),
        valid_to=None,
        area_km2=None,
        agency_kind=agency_kind,
        origin="local",
        search_key=search_key(name, short_name, code),
        sort_key=sort_key(short_name),
    )
    db.add(unit)
    db.flush()
    chain = db.execute(
        select(UnitClosure.ancestor_id, UnitClosure.depth).where(
            UnitClosure.descendant_id == parent.id
        )
    ).all()
    db.add(
        UnitClosure(ancestor_id=unit.id, descendant_id=unit.id, depth=0, hierarchy=unit.hierarchy)
    )
    for ancestor_id, depth in chain:
        db.add(
            UnitClosure(
                ancestor_id=ancestor_id,
                descendant_id=unit.id,
                depth=depth + 1,
                hierarchy=unit.hierarchy,
            )
        )
    db.flush()
    return UnitOut(
        id=unit.id,
        code=unit.code,
        hierarchy=unit.hierarchy,
        level=unit.level,
        type=unit.type,
        name=unit.name,
        short_name=unit.short_name,
        parent_code=parent.code,
        valid_from=unit.valid_from,
        valid_to=unit.valid_to,
        area_km2=None,
        agency_kind=unit.agency_kind,
        origin=unit.origin,
    )
