"""Routing rules, kept by administrators: "reports of this category (or of any) inside this
unit go to that agency" — a province's exceptions to the category's default agency (see
:mod:`.routing` for how the deepest rule wins). Changes go through the ORM, so the audit log
records who changed which rule."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from dieuhanh.core.db import utcnow
from dieuhanh.core.errors import ProblemError
from dieuhanh.core.security import Actor, allowed
from dieuhanh.domains.feedback.categories import category_row
from dieuhanh.domains.feedback.models import Category, RoutingRule
from dieuhanh.domains.feedback.schemas import RoutingRuleIn, RoutingRuleOut
from dieuhanh.domains.units import service as units

MANAGE = "feedback.categories.manage"


def _out(db: Session, rule: RoutingRule) -> RoutingRuleOut:
    unit = units.get_unit_by_id(db=db, unit_id=rule.unit_id)
    agency = units.get_unit_by_id(db=db, unit_id=rule.agency_id)
    code = db.scalar(select(Category.code).where(Category.id == rule.category_id))
    return RoutingRuleOut(
        id=rule.id,
        category=code,
        unit=unit.code,
        unit_name=unit.name,
        agency=agency.code,
        agency_name=agency.name,
        note=rule.note,
        updated_at=rule.updated_at,
        updated_by=rule.updated_by,
    )


def list_rules(*, db: Session) -> list[RoutingRuleOut]:
    return [_out(db, r) for r in db.scalars(select(RoutingRule).order_by(RoutingRule.id))]


def put_rule(*, db: Session, actor: Actor, data: RoutingRuleIn) -> RoutingRuleOut:
    """Create the rule for (category, unit), or point the existing one at a new agency."""
    if not allowed(actor, MANAGE):
        raise ProblemError("forbidden")
    unit = units.get_unit(db=db, code=data.unit, hierarchy=units.CURRENT)
    agency = units.get_unit(db=db, code=data.agency, hierarchy=units.CURRENT)
    if agency.level != "agency":
        raise ProblemError(
            "validation_error",
            errors=[{"location": ["body", "agency"], "message": "not an agency"}],
        )
    if unit.level == "agency":
        raise ProblemError(
            "validation_error",
            errors=[{"location": ["body", "unit"], "message": "a place, not an agency"}],
        )
    category_id = category_row(db, data.category).id if data.category else None
    rule = db.scalar(
        select(RoutingRule).where(
            RoutingRule.unit_id == unit.id,
            RoutingRule.category_id.is_(None)
            if category_id is None
            else RoutingRule.category_id == category_id,
        )
    )
    if rule is None:
        rule = RoutingRule(category_id=category_id, unit_id=unit.id)
        db.add(rule)
    rule.agency_id, rule.note = agency.id, data.note.strip()
    rule.updated_at, rule.updated_by = utcnow(), actor.label
    db.flush()
    return _out(db, rule)


def delete_rule(*, db: Session, actor: Actor, rule_id: int) -> None:
    if not allowed(actor, MANAGE):
        raise ProblemError("forbidden")
    rule = db.get(RoutingRule, rule_id)
    if rule is None:
        raise ProblemError("not_found", detail=f"no routing rule {rule_id}")
    db.delete(rule)
    db.flush()
