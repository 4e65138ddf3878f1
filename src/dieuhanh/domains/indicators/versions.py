"""The data version (see ``models.DataVersion``): bumped by writers, read by caches.

Bumping happens inside the writer's transaction, so a reader never sees the new version
before the new data; on PostgreSQL concurrent writers queue on the row's lock for the rest
of their transaction, which ingestion batches already do on their advisory lock.
"""

from __future__ import annotations

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from dieuhanh.domains.indicators.models import DataVersion

NAME = "indicators"


def bump(db: Session) -> None:
    """Say that what queries answer has changed (call it in the writing transaction)."""
    done = db.execute(
        update(DataVersion).where(DataVersion.name == NAME).values(version=DataVersion.version + 1)
    )
    if not done.rowcount:  # type: ignore[attr-defined]
        db.execute(insert(DataVersion).values(name=NAME, version=1))


def current(db: Session) -> int:
    """The version now (0 before the first write)."""
    return int(db.scalar(select(DataVersion.version).where(DataVersion.name == NAME)) or 0)
