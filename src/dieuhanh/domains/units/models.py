"""Administrative units, their closure table, successions, boundaries and the load marker.

A unit is identified by (hierarchy, code) because GSO codes are reused across the 2025 reform
(ward ``00004`` is Trúc Bạch before it and Ba Đình after it). Each hierarchy version is a
separate tree under its own ``VN`` nation unit; ``unit_closure`` holds every
(ancestor, descendant) pair of a tree so that subtree and breadcrumb questions are one indexed
query, and ``unit_successions`` links the legacy tree to the 2025 tree with weights.

Only ``service``-side modules of this domain import these models; other domains go through
``units.service`` (which also offers :func:`~dieuhanh.domains.units.queries.subtree_ids_select`
for joining against a subtree without seeing these tables).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from dieuhanh.core.db import Base, UTCDateTime
from dieuhanh.core.text import sort_key_type


class UnitHierarchy(Base):
    """A version of the administrative map (``legacy``, ``2025``) and when it was in force."""

    __tablename__ = "unit_hierarchies"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)


class Unit(Base):
    """An administrative unit (nation, province, district, commune) or an agency."""

    __tablename__ = "units"
    __table_args__ = (
        UniqueConstraint("hierarchy", "code"),
        # Children of a unit, administrative units before agencies, in Vietnamese order.
        Index("ix_units_parent_order", "parent_id", "level_rank", "sort_key", "code"),
        # Lists and searches of one hierarchy: the index is in display order and carries
        # the search key, so a page is an ordered index scan that stops after ``limit``
        # matches, and the total is counted from the index alone (no table reads).
        Index("ix_units_search", "hierarchy", "level_rank", "sort_key", "code", "search_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hierarchy: Mapped[str] = mapped_column(String(16), ForeignKey("unit_hierarchies.code"))
    code: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(16))
    # position of ``level`` in nation → province → district → commune → agency: lists order
    # by it through the indexes above (a CASE expression could not use an index)
    level_rank: Mapped[int] = mapped_column(SmallInteger)
    type: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    short_name: Mapped[str] = mapped_column(String(255))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    area_km2: Mapped[float | None] = mapped_column(Float)
    agency_kind: Mapped[str | None] = mapped_column(String(48))
    # "reference" rows belong to the shipped data and are rewritten by the loader;
    # "local" rows were added by the province (agencies) and are never touched by it.
    origin: Mapped[str] = mapped_column(String(16), default="reference")
    search_key: Mapped[str] = mapped_column(String(600))
    sort_key: Mapped[str] = mapped_column(sort_key_type())


class UnitClosure(Base):
    """Every (ancestor, descendant) pair of one hierarchy, including (unit, unit) at depth 0."""

    __tablename__ = "unit_closure"
    __table_args__ = (Index("ix_unit_closure_descendant", "descendant_id", "depth"),)

    ancestor_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    descendant_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    depth: Mapped[int] = mapped_column(SmallInteger)
    hierarchy: Mapped[str] = mapped_column(String(16))


class UnitSuccession(Base):
    """An old unit (wholly or partly) became a new one on ``effective``.

    ``weight`` is the share of the predecessor that went to this successor (1 for merges;
    1/n for a commune split among n successors, for lack of area data). ``is_default`` marks
    the single best target among the predecessor's successors of the same level.
    """

    __tablename__ = "unit_successions"
    __table_args__ = (Index("ix_unit_successions_successor", "successor_id"),)

    predecessor_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    successor_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    weight: Mapped[float] = mapped_column(Float)
    is_default: Mapped[bool] = mapped_column(Boolean)
    effective: Mapped[date] = mapped_column(Date)


class UnitGeometry(Base):
    """A unit's boundary as GeoJSON text, with its bounding box for cheap prefiltering."""

    __tablename__ = "unit_geometries"

    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    geojson: Mapped[str] = mapped_column(Text)
    min_lon: Mapped[float] = mapped_column(Float)
    min_lat: Mapped[float] = mapped_column(Float)
    max_lon: Mapped[float] = mapped_column(Float)
    max_lat: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(255))


class ReferenceData(Base):
    """Which version of a shipped data set is loaded, so a second load can return at once."""

    __tablename__ = "reference_data"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    checksum: Mapped[str] = mapped_column(String(64))
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    row_count: Mapped[int] = mapped_column(Integer)
