"""Citizen feedback (phản ánh hiện trường): categories, reports, their history, attachments,
routing rules.

A report carries its *running clock* in two columns, ``clock`` (which deadline runs now:
``accept``, ``resolve``, or none while paused or finished) and ``due_at`` (when it falls
due), beside the fixed deadlines of each clock. The deadline sweep then reads
``ix_feedback_reports_due`` — only the reports whose running deadline has passed and that
were not yet escalated — and ``ix_feedback_reports_remind`` (``remind_at``: the working time
before the deadline when the agency is reminded, computed when the clock starts), so it
stays fast over a million open reports.

Reporter identity (name, phone, email) lives in the report row and never leaves the staff
side: public views are built from other columns (see ``schemas.PublicReport``).

Only this domain's service-side modules import these models.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
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


class Category(Base):
    """A kind of report (lĩnh vực): its extra questions, who handles it, its deadlines and
    what an answer must contain. Shipped by component packs, editable by administrators."""

    __tablename__ = "feedback_categories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_vi: Mapped[str] = mapped_column(String(255))
    name_en: Mapped[str] = mapped_column(String(255))
    description_vi: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    group: Mapped[str] = mapped_column(String(64), default="")
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    agency_kind: Mapped[str] = mapped_column(String(48))
    handling_level: Mapped[str] = mapped_column(String(16), default="commune")
    attributes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # working hours per clock and urgency: {"accept": {...}, "resolve": {...}, "remind": n}
    deadlines: Mapped[dict[str, Any]] = mapped_column(JSON)
    answer_parts: Mapped[list[str]] = mapped_column(JSON, default=list)
    after_photo: Mapped[bool] = mapped_column(Boolean, default=True)
    after_photo_distance_m: Mapped[int] = mapped_column(Integer, default=200)
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    component: Mapped[str] = mapped_column(String(64), default="local")
    origin: Mapped[str] = mapped_column(String(8), default="local")  # pack | local
    edited_locally: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(128), default="")


class RoutingRule(Base):
    """Reports of ``category_id`` (any when null) inside ``unit_id``'s subtree go to
    ``agency_id``; the rule on the deepest unit wins, a category's own over any."""

    __tablename__ = "feedback_routing_rules"
    __table_args__ = (UniqueConstraint("category_id", "unit_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("feedback_categories.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(128), default="")


class Report(Base):
    """One citizen report (phản ánh) and where it stands."""

    __tablename__ = "feedback_reports"
    __table_args__ = (
        Index("ix_feedback_reports_due", "overdue", "due_at"),
        Index("ix_feedback_reports_remind", "reminded", "remind_at"),
        Index("ix_feedback_reports_agency", "agency_id", "status", "submitted_at"),
        Index("ix_feedback_reports_unit", "unit_id", "submitted_at"),
        Index("ix_feedback_reports_category", "category_id", "submitted_at"),
        Index("ix_feedback_reports_submitted", "submitted_at"),
        UniqueConstraint("idempotency_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)  # tracking code PA-…
    category_id: Mapped[int] = mapped_column(ForeignKey("feedback_categories.id"))
    title: Mapped[str] = mapped_column(String(255), default="")
    description: Mapped[str] = mapped_column(Text)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    address: Mapped[str] = mapped_column(Text, default="")
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    located_by: Mapped[str] = mapped_column(String(16), default="")  # point|address|given|none
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    channel: Mapped[str] = mapped_column(String(16))  # app|hotline|email|open311|…
    urgency: Mapped[str] = mapped_column(String(16), default="normal")
    status: Mapped[str] = mapped_column(String(16), default="new")
    # private: staff only
    reporter_name: Mapped[str] = mapped_column(String(255), default="")
    reporter_phone: Mapped[str] = mapped_column(String(32), default="")
    reporter_email: Mapped[str] = mapped_column(String(255), default="")
    reporter_user_id: Mapped[int | None] = mapped_column(Integer)
    recorded_by: Mapped[str] = mapped_column(String(128), default="")  # operator, API key
    # clocks (all instants UTC)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accept_due: Mapped[datetime] = mapped_column(UTCDateTime)
    resolve_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    clock: Mapped[str] = mapped_column(String(8), default="accept")  # accept|resolve|""
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    remind_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded: Mapped[bool] = mapped_column(Boolean, default=False)
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    escalation_level: Mapped[int] = mapped_column(SmallInteger, default=0)
    # duplicates, moderation, the citizen's verdict
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("feedback_reports.id"))
    reporters: Mapped[int] = mapped_column(Integer, default=1)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    public_description: Mapped[str | None] = mapped_column(Text)
    satisfaction: Mapped[int | None] = mapped_column(SmallInteger)
    verdict: Mapped[str] = mapped_column(String(16), default="")  # resolved | unresolved
    # the published answer: {"parts": {...}, "text": ..., "by": ...}; None until answered
    answer: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    idempotency_key: Mapped[str | None] = mapped_column(String(128))
    version: Mapped[int] = mapped_column(Integer, default=1)


class ReportEvent(Base):
    """Everything that happened to a report, in order; ``public`` ones are the updates a
    citizen and Open311 clients see (``servicerequestupdates``)."""

    __tablename__ = "feedback_report_events"
    __table_args__ = (
        Index("ix_feedback_report_events_report", "report_id", "id"),
        Index("ix_feedback_report_events_public", "public", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("feedback_reports.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(16))  # the report's status after it
    actor: Mapped[str] = mapped_column(String(128), default="")
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    message: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Attachment(Base):
    """A photo or video of a report (``role`` report) or of its answer (``role`` answer).
    Files live in the media store; ``public_path`` is empty when no safe copy exists."""

    __tablename__ = "feedback_attachments"
    __table_args__ = (Index("ix_feedback_attachments_report", "report_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("feedback_reports.id"))
    role: Mapped[str] = mapped_column(String(8), default="report")
    kind: Mapped[str] = mapped_column(String(8))  # image | video
    media_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    private_path: Mapped[str] = mapped_column(String(255))
    public_path: Mapped[str] = mapped_column(String(255), default="")
    public_type: Mapped[str] = mapped_column(String(64), default="")
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Notification(Base):
    """A message to a reporter about a public step of their report (or of the report theirs
    was merged into), by SMS or e-mail: an outbox row first, then its delivery. One row per
    (event, reporter's report, channel), so no step is sent twice."""

    __tablename__ = "feedback_notifications"
    __table_args__ = (
        UniqueConstraint("event_id", "report_id", "channel"),
        Index("ix_feedback_notifications_pending", "status", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("feedback_report_events.id"))
    report_id: Mapped[int] = mapped_column(ForeignKey("feedback_reports.id"))
    channel: Mapped[str] = mapped_column(String(8))  # sms | email
    recipient: Mapped[str] = mapped_column(String(255))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(8), default="pending")  # pending|sent|dead
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
