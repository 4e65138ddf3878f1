"""Disaggregation dimensions and validation rules of the catalog.

Dimensions are written only by component packs (they are shared vocabulary: ``sex`` means the
same in health and in population statistics); rules can also be added by administrators.
Both sides of a rule must parse and name existing indicators, so a rule can never fail later
for a reason nobody can fix at the moment of writing.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dieuhanh.core.errors import ProblemError
from dieuhanh.core.security import Actor
from dieuhanh.domains.indicators.catalog import (
    MANAGE,
    CatalogState,
    catalog_state,
    require_action,
)
from dieuhanh.domains.indicators.catalog_checks import check_expression, from_validation, invalid
from dieuhanh.domains.indicators.models import Dimension, ValidationRule
from dieuhanh.domains.indicators.schemas import (
    DimensionIn,
    DimensionOut,
    RuleFields,
    RuleIn,
    RuleOut,
    RulePatch,
)

_RULE_COLUMNS = tuple(name for name in RuleIn.model_fields if name != "code")


# --- dimensions ------------------------------------------------------------------------------


def list_dimensions(*, db: Session) -> list[DimensionOut]:
    """Every dimension with its categories, by code."""
    rows = db.scalars(select(Dimension).order_by(Dimension.code))
    return [DimensionOut.model_validate(row) for row in rows]


def write_dimension(db: Session, data: DimensionIn) -> bool:
    """Insert or update a dimension; whether anything changed."""
    categories = [c.model_dump() for c in data.categories]
    row = db.get(Dimension, data.code)
    if row is None:
        db.add(
            Dimension(
                code=data.code, name_vi=data.name_vi, name_en=data.name_en, categories=categories
            )
        )
        return True
    if (row.name_vi, row.name_en, row.categories) == (data.name_vi, data.name_en, categories):
        return False
    row.name_vi, row.name_en, row.categories = data.name_vi, data.name_en, categories
    return True


# --- rules -----------------------------------------------------------------------------------


def _rule_not_found(code: str) -> ProblemError:
    return ProblemError("rule_not_found", detail=f"no validation rule {code!r}")


def _rule_row(db: Session, code: str) -> ValidationRule:
    row = db.scalar(select(ValidationRule).where(ValidationRule.code == code))
    if row is None:
        raise _rule_not_found(code)
    return row


def check_rule(
    db: Session,
    data: RuleFields,
    *,
    state: CatalogState | None = None,
    location: tuple[str | int, ...] = ("body",),
) -> None:
    """Both sides parse and reference existing indicators and breakdowns."""
    vocabulary = (state or catalog_state(db)).vocabulary()
    errors: list[dict[str, Any]] = []
    for side in ("left", "right"):
        _codes, side_errors = check_expression(getattr(data, side), [*location, side], vocabulary)
        errors.extend(side_errors)
    if errors:
        raise invalid(errors)


def write_rule(db: Session, row: ValidationRule | None, data: RuleIn) -> ValidationRule:
    if row is None:
        row = ValidationRule(code=data.code)
        db.add(row)
    for name in _RULE_COLUMNS:
        setattr(row, name, getattr(data, name))
    db.flush()
    return row


def list_rules(
    *,
    db: Session,
    component: str | None = None,
    include_inactive: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[RuleOut], int]:
    conditions = []
    if component:
        conditions.append(ValidationRule.component == component)
    if not include_inactive:
        conditions.append(ValidationRule.active.is_(True))
    total = db.scalar(select(func.count(ValidationRule.id)).where(*conditions)) or 0
    rows = db.scalars(
        select(ValidationRule)
        .where(*conditions)
        .order_by(ValidationRule.component, ValidationRule.code)
        .limit(limit)
        .offset(offset)
    )
    return [RuleOut.model_validate(row) for row in rows], total


def get_rule(*, db: Session, code: str) -> RuleOut:
    return RuleOut.model_validate(_rule_row(db, code))


def create_rule(*, db: Session, actor: Actor, data: RuleIn) -> RuleOut:
    """Add a validation rule (``indicators.manage``)."""
    require_action(actor, MANAGE)
    db.info["actor"] = actor
    if db.scalar(select(ValidationRule.id).where(ValidationRule.code == data.code)) is not None:
        raise ProblemError("rule_exists", detail=f"{data.code} already exists")
    check_rule(db, data)
    return RuleOut.model_validate(write_rule(db, None, data))


def update_rule(*, db: Session, actor: Actor, code: str, data: RulePatch) -> RuleOut:
    """Change a rule (``indicators.manage``): the fields sent replace the current ones."""
    require_action(actor, MANAGE)
    db.info["actor"] = actor
    row = _rule_row(db, code)
    current = RuleIn.model_validate(RuleOut.model_validate(row).model_dump())
    try:
        merged = RuleIn.model_validate(
            {**current.model_dump(), **data.model_dump(exclude_unset=True)}
        )
    except ValidationError as exc:
        raise from_validation(exc) from exc
    if merged == current:
        return RuleOut.model_validate(row)
    check_rule(db, merged)
    return RuleOut.model_validate(write_rule(db, row, merged))
