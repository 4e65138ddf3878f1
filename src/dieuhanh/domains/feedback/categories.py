"""Report categories (lĩnh vực phản ánh) are data: component packs ship them, administrators
edit them. A pack sync creates and updates the pack's categories but leaves alone the ones a
province edited (``edited_locally``), so local deadlines survive an upgrade.

Written through the ORM in the caller's session, so the audit hook records who changed what;
``version`` guards against two administrators overwriting each other.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dieuhanh.core.db import utcnow
from dieuhanh.core.errors import ProblemError
from dieuhanh.core.security import Actor, allowed
from dieuhanh.domains.feedback.models import Category
from dieuhanh.domains.feedback.schemas import CategoryIn, CategoryOut, CategorySyncReport
from dieuhanh.domains.units import service as units

MANAGE = "feedback.categories.manage"
_FIELDS = tuple(CategoryIn.model_fields)


def _check_kind(data: CategoryIn) -> None:
    if data.agency_kind not in units.AGENCY_KINDS:
        kinds = ", ".join(sorted(units.AGENCY_KINDS))
        raise ProblemError(
            "validation_error",
            errors=[
                {
                    "location": ["body", "agency_kind"],
                    "message": f"unknown agency kind; use one of {kinds}",
                }
            ],
        )


def to_out(row: Category, locale: str = "vi") -> CategoryOut:
    data: dict[str, Any] = {name: getattr(row, name) for name in _FIELDS}
    return CategoryOut.model_validate(
        {
            **data,
            "id": row.id,
            "component": row.component,
            "origin": row.origin,
            "edited_locally": row.edited_locally,
            "version": row.version,
            "updated_at": row.updated_at,
            "name": row.name_en if locale == "en" else row.name_vi,
        }
    )


def _row(db: Session, code: str) -> Category:
    row = db.scalar(select(Category).where(Category.code == code))
    if row is None:
        raise ProblemError("category_not_found", detail=f"no category {code!r}")
    return row


def category_row(db: Session, code: str, *, active_only: bool = True) -> Category:
    """The category for a new report: ``category_not_found`` also for an inactive one."""
    row = _row(db, code)
    if active_only and not row.active:
        raise ProblemError("category_not_found", detail=f"category {code!r} is not in use")
    return row


def get_category(*, db: Session, code: str, locale: str = "vi") -> CategoryOut:
    return to_out(_row(db, code), locale)


def list_categories(
    *, db: Session, include_inactive: bool = False, locale: str = "vi"
) -> list[CategoryOut]:
    """In the order citizens see them (``position``, then code)."""
    statement = select(Category).order_by(Category.position, Category.code)
    if not include_inactive:
        statement = statement.where(Category.active.is_(True))
    return [to_out(row, locale) for row in db.scalars(statement)]


def _write(row: Category, data: CategoryIn, by: str) -> None:
    for name in _FIELDS:
        value = getattr(data, name)
        if name in ("attributes",):
            value = [a.model_dump() for a in data.attributes]
        elif name == "deadlines":
            value = data.deadlines.model_dump()
        setattr(row, name, value)
    row.updated_at = utcnow()
    row.updated_by = by


def create_category(*, db: Session, actor: Actor, data: CategoryIn) -> CategoryOut:
    if not allowed(actor, MANAGE):
        raise ProblemError("forbidden")
    _check_kind(data)
    if db.scalar(select(Category.id).where(Category.code == data.code)) is not None:
        raise ProblemError("category_exists", detail=data.code)
    row = Category(code=data.code, origin="local", component="local", version=1)
    _write(row, data, actor.label)
    db.add(row)
    db.flush()
    return to_out(row)


def update_category(
    *, db: Session, actor: Actor, code: str, data: CategoryIn, version: int
) -> CategoryOut:
    """Replace a category's definition; ``version`` must be the one read (else 409)."""
    if not allowed(actor, MANAGE):
        raise ProblemError("forbidden")
    _check_kind(data)
    row = _row(db, code)
    if data.code != code:
        raise ProblemError("validation_error", detail="the code of a category cannot change")
    if row.version != version:
        raise ProblemError("version_conflict", detail=f"{code} is at version {row.version}")
    _write(row, data, actor.label)
    row.version += 1
    row.edited_locally = row.origin == "pack"
    db.flush()
    return to_out(row)


def sync_pack_categories(
    *, db: Session, actor: Actor, component: str, categories: Sequence[CategoryIn]
) -> CategorySyncReport:
    """Write a pack's categories (see the module notes)."""
    report = CategorySyncReport(created=[], updated=[], unchanged=[], kept_local=[])
    for data in categories:
        _check_kind(data)
        row = db.scalar(select(Category).where(Category.code == data.code))
        if row is None:
            row = Category(code=data.code, origin="pack", component=component, version=1)
            _write(row, data, actor.label)
            db.add(row)
            report.created.append(data.code)
            continue
        if row.edited_locally:
            report.kept_local.append(data.code)
            continue
        if CategoryIn.model_validate(to_out(row).model_dump(include=set(_FIELDS))) == data:
            report.unchanged.append(data.code)
            continue
        _write(row, data, actor.label)
        row.version += 1
        row.origin, row.component = "pack", component
        report.updated.append(data.code)
    db.flush()
    return report
