"""Where a report belongs: its unit (from the location) and the agency that must handle it.

**Unit.** The point, when given, decides (point in polygon on the current map: the commune
where commune outlines are loaded, else the province); an address then narrows a province
down to the commune it names. Without a point the address is read within the unit given (or
the home province). A report outside every outline of the installation is refused: it is
not ours to handle.

**Agency.** A routing rule for the category (or for any category) on the unit or its
nearest ancestor wins; else the category's ``agency_kind`` at its ``handling_level``: a
commune category goes to the commune's own agency of that kind (its People's Committee for
``people_committee``), a province category to the province's department of that kind; when
none exists, to the province's People's Committee, which always can hand it on.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from dieuhanh.core.errors import ProblemError
from dieuhanh.domains.feedback.models import Category, RoutingRule
from dieuhanh.domains.units import service as units
from dieuhanh.domains.units.schemas import UnitOut


@dataclass(frozen=True)
class Placement:
    unit: UnitOut
    located_by: str  # point | address | given | home


def place(
    db: Session,
    *,
    latitude: float | None,
    longitude: float | None,
    address: str,
    unit_code: str | None,
    home_province: str,
) -> Placement:
    """The report's unit (see the module notes)."""
    if latitude is not None and longitude is not None:
        found = units.locate_point(db=db, latitude=latitude, longitude=longitude)
        if found is None:
            raise ProblemError(
                "location_outside", detail=f"{latitude}, {longitude} is outside every unit"
            )
        if found.level != "commune" and address:
            named = units.match_address(db=db, address=address, within_unit_id=found.id)
            if named is not None:
                return Placement(named, "address")
        return Placement(found, "point")
    if unit_code:
        given = units.get_unit(db=db, code=unit_code, hierarchy=units.CURRENT)
        if given.level == "agency":
            raise ProblemError(
                "validation_error", detail="a report is about a place, not an agency"
            )
        if given.level != "commune" and address:
            named = units.match_address(db=db, address=address, within_unit_id=given.id)
            if named is not None:
                return Placement(named, "address")
        return Placement(given, "given")
    home = units.get_unit(db=db, code=home_province, hierarchy=units.CURRENT)
    if address:
        named = units.match_address(db=db, address=address, within_unit_id=home.id)
        if named is not None:
            return Placement(named, "address")
    return Placement(home, "home")


def _chain(db: Session, unit: UnitOut) -> list[UnitOut]:
    """The unit and its ancestors, nearest first."""
    return [unit, *reversed(units.ancestors(db=db, unit_id=unit.id))]


def _agency_of(db: Session, unit: UnitOut, kind: str) -> UnitOut | None:
    found, _total = units.children(db=db, unit_id=unit.id, level="agency")
    for child in found:
        if child.agency_kind == kind:
            return child
    return None


def agency_for(db: Session, category: Category, unit: UnitOut) -> UnitOut | None:
    """The responsible agency (see the module notes)."""
    chain = _chain(db, unit)
    ids = [u.id for u in chain]
    rules = db.execute(
        select(RoutingRule.unit_id, RoutingRule.category_id, RoutingRule.agency_id).where(
            RoutingRule.unit_id.in_(ids),
            (RoutingRule.category_id == category.id) | RoutingRule.category_id.is_(None),
        )
    ).all()
    if rules:
        # nearest unit first, then the category's own rule before a rule for any category
        best = min(rules, key=lambda r: (ids.index(r[0]), r[1] is None))
        return units.get_unit_by_id(db=db, unit_id=best[2])
    province = next((u for u in chain if u.level == "province"), None)
    if category.handling_level == "commune" and unit.level == "commune":
        found = _agency_of(db, unit, category.agency_kind)
        if found is not None:
            return found
    if province is None:
        return None
    return _agency_of(db, province, category.agency_kind) or _agency_of(
        db, province, "people_committee"
    )
