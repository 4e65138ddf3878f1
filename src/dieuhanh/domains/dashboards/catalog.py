"""Dashboards as stored definitions: list, read, create, edit, delete, and pack sync.

Packs ship dashboards in ``pack.yaml``; ``sync_pack_dashboards`` writes them like the
indicator catalog does: an unchanged definition is not rewritten (a digest of it is kept), a
dashboard an admin edited keeps the local edit, and a dashboard a pack no longer declares is
left alone (it may be in a wall playlist). Every change by a person goes through the ORM, so
the audit hook records it; ``version`` guards against two admins overwriting each other.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dieuhanh.core.db import utcnow
from dieuhanh.core.errors import ProblemError
from dieuhanh.core.security import Actor, allowed
from dieuhanh.domains.dashboards.models import Dashboard
from dieuhanh.domains.dashboards.schemas import (
    DashboardIn,
    DashboardOut,
    DashboardPatch,
    DashboardSummary,
    Widget,
)
from dieuhanh.domains.units import service as units

READ = "dashboards.read"
MANAGE = "dashboards.manage"
HOME_CODE = "tong-quan"  # the composed home dashboard; no stored dashboard may take it

_WIDGETS = TypeAdapter(list[Widget])


def require_action(actor: Actor, action: str) -> None:
    """Services check permissions too: the CLI, jobs and the wall call them directly."""
    if not allowed(actor, action):
        raise ProblemError("forbidden" if actor.is_authenticated else "not_authenticated")


def widgets_of(row: Dashboard) -> list[Any]:
    return _WIDGETS.validate_python(row.widgets)


def _unit_code(db: Session, unit_id: int | None) -> str | None:
    if unit_id is None:
        return None
    return units.get_unit_by_id(db=db, unit_id=unit_id).code


def to_out(db: Session, row: Dashboard, locale: str) -> DashboardOut:
    return DashboardOut(
        code=row.code,
        title_vi=row.title_vi,
        title_en=row.title_en,
        title=row.title_en if locale == "en" else row.title_vi,
        description_vi=row.description_vi,
        description_en=row.description_en,
        component=row.component,
        unit=_unit_code(db, row.unit_id),
        period_type=row.period_type,
        reporting_calendar="decree09" if row.reporting_calendar == "decree09" else "calendar",
        headline=row.headline,
        origin=row.origin,
        edited_locally=row.edited_locally,
        version=row.version,
        updated_at=row.updated_at,
        updated_by=row.updated_by,
        widgets=widgets_of(row),
    )


def _visible(db: Session, actor: Actor, row: Dashboard) -> bool:
    """A dashboard that belongs to a unit is seen by those whose scope covers that unit."""
    if row.unit_id is None or actor.scope_unit_id is None:
        return True
    return units.is_within(db=db, unit_id=row.unit_id, scope_unit_id=actor.scope_unit_id)


def _row(db: Session, code: str) -> Dashboard:
    row = db.scalar(select(Dashboard).where(Dashboard.code == code))
    if row is None:
        raise ProblemError("dashboard_not_found", detail=code)
    return row


def get_dashboard(*, db: Session, actor: Actor, code: str, locale: str = "vi") -> DashboardOut:
    require_action(actor, READ)
    row = _row(db, code)
    if not _visible(db, actor, row):
        raise ProblemError("dashboard_not_found", detail=code)
    return to_out(db, row, locale)


def list_dashboards(
    *, db: Session, actor: Actor, component: str | None = None, locale: str = "vi"
) -> list[DashboardSummary]:
    """Every dashboard the actor may open, headline ones first, then by title."""
    require_action(actor, READ)
    statement = select(Dashboard)
    if component:
        statement = statement.where(Dashboard.component == component)
    rows = [r for r in db.scalars(statement) if _visible(db, actor, r)]
    rows.sort(key=lambda r: (not r.headline, (r.title_en if locale == "en" else r.title_vi)))
    return [
        DashboardSummary(
            code=r.code,
            title=r.title_en if locale == "en" else r.title_vi,
            component=r.component,
            unit=_unit_code(db, r.unit_id),
            headline=r.headline,
            origin=r.origin,
            widgets=len(r.widgets),
        )
        for r in rows
    ]


def headline_dashboards(*, db: Session, actor: Actor) -> list[DashboardOut]:
    """Dashboards whose tiles make up the home page, by component then code."""
    require_action(actor, READ)
    rows = db.scalars(
        select(Dashboard)
        .where(Dashboard.headline.is_(True))
        .order_by(Dashboard.component, Dashboard.code)
    )
    return [to_out(db, r, "vi") for r in rows if _visible(db, actor, r)]


def _unit_id(db: Session, actor: Actor, code: str | None) -> int | None:
    if not code:
        return None
    hierarchy = units.hierarchy_for(units.today())
    unit = units.get_unit(db=db, code=code, hierarchy=hierarchy, scope_unit_id=actor.scope_unit_id)
    return unit.id


def _widgets_json(widgets: Sequence[Any]) -> list[dict[str, Any]]:
    return [w.model_dump(mode="json") for w in widgets]


def create_dashboard(
    *, db: Session, actor: Actor, data: DashboardIn, locale: str = "vi"
) -> DashboardOut:
    require_action(actor, MANAGE)
    if data.code == HOME_CODE:
        raise ProblemError("conflict", detail=f"{HOME_CODE} is reserved for the home page")
    if db.scalar(select(func.count()).select_from(Dashboard).where(Dashboard.code == data.code)):
        raise ProblemError("dashboard_exists", detail=data.code)
    db.info["actor"] = actor
    row = Dashboard(
        code=data.code,
        title_vi=data.title_vi,
        title_en=data.title_en,
        description_vi=data.description_vi,
        description_en=data.description_en,
        component=data.component,
        unit_id=_unit_id(db, actor, data.unit),
        period_type=data.period_type,
        reporting_calendar=data.reporting_calendar,
        headline=data.headline,
        origin="local",
        edited_locally=False,
        pack_digest="",
        widgets=_widgets_json(data.widgets),
        version=1,
        updated_at=utcnow(),
        updated_by=actor.name,
    )
    db.add(row)
    db.flush()
    return to_out(db, row, locale)


def update_dashboard(
    *, db: Session, actor: Actor, code: str, patch: DashboardPatch, locale: str = "vi"
) -> DashboardOut:
    """Apply the fields given; ``conflict`` when someone saved since ``patch.version``."""
    require_action(actor, MANAGE)
    row = _row(db, code)
    if not _visible(db, actor, row):
        raise ProblemError("dashboard_not_found", detail=code)
    if patch.version != row.version:
        raise ProblemError(
            "version_conflict", detail=f"version {row.version} was saved after {patch.version}"
        )
    db.info["actor"] = actor
    changes = patch.model_dump(exclude_unset=True, exclude={"version", "widgets"})
    for name, value in changes.items():
        if value is not None:
            setattr(row, name, value)
    if patch.widgets is not None:
        row.widgets = _widgets_json(patch.widgets)
    row.version += 1
    row.updated_at = utcnow()
    row.updated_by = actor.name
    if row.origin == "pack":
        row.edited_locally = True
    db.flush()
    return to_out(db, row, locale)


def delete_dashboard(*, db: Session, actor: Actor, code: str) -> None:
    require_action(actor, MANAGE)
    row = _row(db, code)
    if not _visible(db, actor, row):
        raise ProblemError("dashboard_not_found", detail=code)
    db.info["actor"] = actor
    db.delete(row)
    db.flush()


# --- packs ----------------------------------------------------------------------------------------


@dataclass
class DashboardSyncReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept_local: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"dashboards: {len(self.created)} new, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged, {len(self.kept_local)} kept local"
        )


def _digest(data: DashboardIn) -> str:
    text = json.dumps(data.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sync_pack_dashboards(
    *, db: Session, actor: Actor, dashboards: Sequence[DashboardIn]
) -> DashboardSyncReport:
    """Write the packs' dashboards (``dashboards.manage``); idempotent (see the module)."""
    require_action(actor, MANAGE)
    db.info["actor"] = actor
    report = DashboardSyncReport()
    for data in dashboards:
        digest = _digest(data)
        row = db.scalar(select(Dashboard).where(Dashboard.code == data.code))
        if row is not None and row.edited_locally:
            report.kept_local.append(data.code)
            continue
        if row is not None and row.pack_digest == digest:
            report.unchanged.append(data.code)
            continue
        values = {
            "title_vi": data.title_vi,
            "title_en": data.title_en,
            "description_vi": data.description_vi,
            "description_en": data.description_en,
            "component": data.component,
            "unit_id": _unit_id(db, actor, data.unit),
            "period_type": data.period_type,
            "reporting_calendar": data.reporting_calendar,
            "headline": data.headline,
            "widgets": _widgets_json(data.widgets),
            "pack_digest": digest,
            "updated_at": utcnow(),
            "updated_by": actor.name,
        }
        if row is None:
            db.add(
                Dashboard(code=data.code, origin="pack", edited_locally=False, version=1, **values)
            )
            report.created.append(data.code)
        else:
            for name, value in values.items():
                setattr(row, name, value)
            row.version += 1
            report.updated.append(data.code)
    db.flush()
    return report
