"""Indicator catalog, observations (with revisions), targets, validation rules, batches.

The observation table is the big one (10M rows and more), so it is shaped for the two reads
that matter: its primary key ``(indicator_id, period_type, period_start, unit_id, disagg)``
is the roll-up order (one indicator, a time range, every unit), and ``ix_observations_unit``
serves a unit's overview (every indicator of one unit). On SQLite the table is WITHOUT ROWID,
so the primary key *is* the table and a roll-up is one ordered range scan. A missing value is
a missing row, never a zero.

Only this domain's service-side modules import these models.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
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


class Dimension(Base):
    """A disaggregation dimension (``sex``, ``age_group``, ``area``) and its categories."""

    __tablename__ = "indicator_dimensions"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name_vi: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(128))
    # [{"code": "female", "name_vi": "Nữ", "name_en": "Female"}, ...]
    categories: Mapped[list[dict[str, str]]] = mapped_column(JSON)


class Indicator(Base):
    """A catalog entry. ``version`` increments on every change of the definition."""

    __tablename__ = "indicators"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_vi: Mapped[str] = mapped_column(String(255))
    name_en: Mapped[str] = mapped_column(String(255))
    description_vi: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    measure_unit_vi: Mapped[str] = mapped_column(String(64), default="")  # "tỷ đồng", "%"
    measure_unit_en: Mapped[str] = mapped_column(String(64), default="")
    sector: Mapped[str] = mapped_column(String(64))  # e.g. "economy", "health"
    component: Mapped[str] = mapped_column(String(64))  # the pack that declared it
    # across units: sum | avg | wavg | min | max | none
    agg_units: Mapped[str] = mapped_column(String(8))
    weight_indicator_id: Mapped[int | None] = mapped_column(ForeignKey("indicators.id"))
    # over time: sum | avg | last | first | max | min
    agg_time: Mapped[str] = mapped_column(String(8))
    direction: Mapped[str] = mapped_column(String(8), default="up")  # up | down | none
    decimals: Mapped[int] = mapped_column(SmallInteger, default=1)
    disaggregations: Mapped[list[str]] = mapped_column(JSON, default=list)  # dimension codes
    owner_agency_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    # day | week | month | decree09_month | quarter | year
    cadence: Mapped[str] = mapped_column(String(16))
    # working days after the end of the period by which the value is due
    deadline_workdays: Mapped[int] = mapped_column(SmallInteger, default=10)
    # lowest administrative level that reports it: commune | district | province
    report_level: Mapped[str] = mapped_column(String(16), default="province")
    formula: Mapped[str | None] = mapped_column(Text)
    # status colour thresholds (fraction of target): green >= ok, amber >= warn, else red
    threshold_ok: Mapped[float] = mapped_column(Float, default=1.0)
    threshold_warn: Mapped[float] = mapped_column(Float, default=0.9)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class IndicatorVersion(Base):
    """Every definition an indicator ever had (the audit log says who; this says what)."""

    __tablename__ = "indicator_versions"

    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    changed_by: Mapped[str] = mapped_column(String(128))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Observation(Base):
    """One value of an indicator for a unit, a period and a disaggregation."""

    __tablename__ = "observations"
    __table_args__ = (
        Index("ix_observations_unit", "unit_id", "indicator_id", "period_type", "period_start"),
        {"sqlite_with_rowid": False},
    )

    indicator_id: Mapped[int] = mapped_column(
        ForeignKey("indicators.id"), primary_key=True, autoincrement=False
    )
    period_type: Mapped[str] = mapped_column(String(8), primary_key=True)  # PeriodType value
    period_start: Mapped[date] = mapped_column(Date, primary_key=True)
    unit_id: Mapped[int] = mapped_column(
        ForeignKey("units.id"), primary_key=True, autoincrement=False
    )
    # canonical "dim=cat;dim=cat" sorted by dimension code; "" is the total
    disagg: Mapped[str] = mapped_column(String(128), primary_key=True, default="")
    period: Mapped[str] = mapped_column(String(16))  # canonical code, e.g. "2026-07"
    value: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(1), default="p")  # p(rovisional) | f(inal)
    source: Mapped[str] = mapped_column(String(64), default="")
    recorded_by: Mapped[str] = mapped_column(String(128), default="")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    outlier_score: Mapped[float | None] = mapped_column(Float)  # modified z-score, if flagged
    batch_id: Mapped[int | None] = mapped_column(Integer)


class ObservationRollup(Base):
    """Per ancestor unit: the sum, count, minimum and maximum of what the units of one level
    inside it reported for one indicator, period and disaggregation, kept on every write.

    A province's monthly total is then one row, not a scan of its communes: a 5-year roll-up
    to the 34 provinces reads 2,040 rows instead of 200,000 (see :mod:`.rollups`). A unit's
    own values are not repeated here (depth 0): they are the observations themselves.
    """

    __tablename__ = "observation_rollups"
    __table_args__ = ({"sqlite_with_rowid": False},)

    indicator_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    period_type: Mapped[str] = mapped_column(String(8), primary_key=True)
    period_start: Mapped[date] = mapped_column(Date, primary_key=True)
    unit_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    disagg: Mapped[str] = mapped_column(String(128), primary_key=True, default="")
    level_rank: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    total: Mapped[float] = mapped_column(Float)
    reported: Mapped[int] = mapped_column(Integer)
    lowest: Mapped[float] = mapped_column(Float)
    highest: Mapped[float] = mapped_column(Float)
    provisional: Mapped[int] = mapped_column(Integer)


class ObservationRevision(Base):
    """A value that was replaced by a correction: history is never lost."""

    __tablename__ = "observation_revisions"
    __table_args__ = (
        Index(
            "ix_observation_revisions_key",
            "indicator_id",
            "unit_id",
            "period_type",
            "period_start",
            "disagg",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    indicator_id: Mapped[int] = mapped_column(Integer)
    period_type: Mapped[str] = mapped_column(String(8))
    period_start: Mapped[date] = mapped_column(Date)
    unit_id: Mapped[int] = mapped_column(Integer)
    disagg: Mapped[str] = mapped_column(String(128))
    period: Mapped[str] = mapped_column(String(16))
    value: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(1))
    source: Mapped[str] = mapped_column(String(64))
    recorded_by: Mapped[str] = mapped_column(String(128))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revision: Mapped[int] = mapped_column(Integer)
    replaced_at: Mapped[datetime] = mapped_column(UTCDateTime)
    replaced_by: Mapped[str] = mapped_column(String(128))
    replaced_in_batch: Mapped[int | None] = mapped_column(Integer)


class Target(Base):
    """A plan value: annual (``month`` = 0) or phased by month (1–12)."""

    __tablename__ = "indicator_targets"

    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[int] = mapped_column(SmallInteger, primary_key=True, default=0)
    value: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(128), default="")


class ValidationRule(Base):
    """``left operator right`` over indicator expressions, checked per unit and period."""

    __tablename__ = "validation_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_vi: Mapped[str] = mapped_column(String(255))
    name_en: Mapped[str] = mapped_column(String(255))
    left: Mapped[str] = mapped_column(Text)  # expression, e.g. "#{POP_FEMALE} + #{POP_MALE}"
    operator: Mapped[str] = mapped_column(String(2))  # == != < <= > >=
    right: Mapped[str] = mapped_column(Text)
    # skip_if_any_missing | skip_if_all_missing | never_skip (missing counts as 0)
    missing_strategy: Mapped[str] = mapped_column(String(24), default="skip_if_any_missing")
    severity: Mapped[str] = mapped_column(String(8), default="error")  # error | warning
    component: Mapped[str] = mapped_column(String(64), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class IngestionBatch(Base):
    """One accepted bulk write; its idempotency key makes a retried request a no-op."""

    __tablename__ = "ingestion_batches"
    __table_args__ = (UniqueConstraint("idempotency_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(128))
    request_digest: Mapped[str] = mapped_column(String(64))  # same key + other body = 409
    source: Mapped[str] = mapped_column(String(64))  # api | csv | xlsx | demo | form
    actor: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    rows: Mapped[int] = mapped_column(Integer)
    inserted: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    outliers: Mapped[int] = mapped_column(Integer, default=0)
    warnings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class DataVersion(Base):
    """A counter bumped in every transaction that changes what queries answer (values,
    plans, definitions): readers that keep results (dashboards) compare it, in one primary
    key read, to know whether what they kept is still true — across processes too."""

    __tablename__ = "indicator_data_versions"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)


class IndicatorAnnotation(Base):
    """A dated note pinned to an indicator's charts ("bão số 12 đổ bộ", a directive issued),
    for one unit — shown on its charts and on those of every unit below it — or, with no
    unit, for every unit. ``end_day`` makes it a span (a flood week).

    ``source`` is ``user`` for notes people write, or the name of the component that made it
    (directives are written by the directives component and removed only by it).
    """

    __tablename__ = "indicator_annotations"
    __table_args__ = (Index("ix_indicator_annotations_indicator_day", "indicator_id", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    day: Mapped[date] = mapped_column(Date)
    end_day: Mapped[date | None] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16))  # note | event | directive
    text_vi: Mapped[str] = mapped_column(String(500))
    text_en: Mapped[str | None] = mapped_column(String(500))
    link: Mapped[str | None] = mapped_column(String(500))
    source: Mapped[str] = mapped_column(String(64), default="user")
    created_by: Mapped[str] = mapped_column(String(128))  # actor label, e.g. user:operator48
    created_by_name: Mapped[str] = mapped_column(String(255), default="")  # shown as author
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
