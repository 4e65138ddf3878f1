"""Dashboards and wall playlists. Widgets are stored as JSON validated by ``schemas.Widget``:
a dashboard is read and written whole, and its widgets are never queried one by one.

Only this domain's service-side modules import these models.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dieuhanh.core.db import Base, UTCDateTime


class Dashboard(Base):
    """A dashboard; ``version`` increments on every change (optimistic locking)."""

    __tablename__ = "dashboards"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    title_vi: Mapped[str] = mapped_column(String(255))
    title_en: Mapped[str] = mapped_column(String(255))
    description_vi: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    component: Mapped[str] = mapped_column(String(64), default="local")
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    period_type: Mapped[str] = mapped_column(String(8), default="month")
    # calendar | decree09: the calendar it opens in (added by a migration, hence the server
    # default that fills the rows that existed before)
    reporting_calendar: Mapped[str] = mapped_column(
        String(16), default="calendar", server_default="calendar"
    )
    headline: Mapped[bool] = mapped_column(Boolean, default=False)
    origin: Mapped[str] = mapped_column(String(8), default="local")  # pack | local
    edited_locally: Mapped[bool] = mapped_column(Boolean, default=False)
    pack_digest: Mapped[str] = mapped_column(String(64), default="")
    widgets: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(128), default="")


class WallPlaylist(Base):
    """What the video wall rotates through; items may be pinned to one screen."""

    __tablename__ = "wall_playlists"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(128), default="")


class BriefingDelivery(Base):
    """A monthly briefing that was emailed: the job sends each (unit, month) once."""

    __tablename__ = "briefing_deliveries"
    __table_args__ = (UniqueConstraint("unit_code", "period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_code: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(16))
    recipients: Mapped[list[str]] = mapped_column(JSON)
    bytes: Mapped[int] = mapped_column(Integer)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
