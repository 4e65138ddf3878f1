"""Citizen feedback: categories, routing rules, reports, their history and attachments.

Revision ID: 0010_feedback
Revises: 0009_dashboard_calendar
Create Date: 2026-11-22 09:01:10.753806

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0010_feedback"
down_revision: str | Sequence[str] | None = "0009_dashboard_calendar"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the tables."""
    op.create_table(
        "feedback_categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name_vi", sa.String(length=255), nullable=False),
        sa.Column("name_en", sa.String(length=255), nullable=False),
        sa.Column("description_vi", sa.Text(), nullable=False),
        sa.Column("description_en", sa.Text(), nullable=False),
        sa.Column("group", sa.String(length=64), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("agency_kind", sa.String(length=48), nullable=False),
        sa.Column("handling_level", sa.String(length=16), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("deadlines", sa.JSON(), nullable=False),
        sa.Column("answer_parts", sa.JSON(), nullable=False),
        sa.Column("after_photo", sa.Boolean(), nullable=False),
        sa.Column("after_photo_distance_m", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("component", sa.String(length=64), nullable=False),
        sa.Column("origin", sa.String(length=8), nullable=False),
        sa.Column("edited_locally", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_categories")),
        sa.UniqueConstraint("code", name=op.f("uq_feedback_categories_code")),
    )
    op.create_table(
        "feedback_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("located_by", sa.String(length=16), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("urgency", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reporter_name", sa.String(length=255), nullable=False),
        sa.Column("reporter_phone", sa.String(length=32), nullable=False),
        sa.Column("reporter_email", sa.String(length=255), nullable=False),
        sa.Column("reporter_user_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by", sa.String(length=128), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accept_due", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolve_due", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paused_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("clock", sa.String(length=8), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("remind_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminded", sa.Boolean(), nullable=False),
        sa.Column("overdue", sa.Boolean(), nullable=False),
        sa.Column("escalation_level", sa.SmallInteger(), nullable=False),
        sa.Column("duplicate_of_id", sa.Integer(), nullable=True),
        sa.Column("reporters", sa.Integer(), nullable=False),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("public_description", sa.Text(), nullable=True),
        sa.Column("satisfaction", sa.SmallInteger(), nullable=True),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("answer", sa.JSON(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=128), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["units.id"], name=op.f("fk_feedback_reports_agency_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["feedback_categories.id"],
            name=op.f("fk_feedback_reports_category_id_feedback_categories"),
        ),
        sa.ForeignKeyConstraint(
            ["duplicate_of_id"],
            ["feedback_reports.id"],
            name=op.f("fk_feedback_reports_duplicate_of_id_feedback_reports"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_feedback_reports_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_reports")),
        sa.UniqueConstraint("code", name=op.f("uq_feedback_reports_code")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_feedback_reports_idempotency_key")),
    )
    with op.batch_alter_table("feedback_reports", schema=None) as batch_op:
        batch_op.create_index(
            "ix_feedback_reports_agency", ["agency_id", "status", "submitted_at"], unique=False
        )
        batch_op.create_index(
            "ix_feedback_reports_category", ["category_id", "submitted_at"], unique=False
        )
        batch_op.create_index("ix_feedback_reports_due", ["overdue", "due_at"], unique=False)
        batch_op.create_index("ix_feedback_reports_remind", ["reminded", "remind_at"], unique=False)
        batch_op.create_index("ix_feedback_reports_submitted", ["submitted_at"], unique=False)
        batch_op.create_index("ix_feedback_reports_unit", ["unit_id", "submitted_at"], unique=False)

    op.create_table(
        "feedback_routing_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["units.id"], name=op.f("fk_feedback_routing_rules_agency_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["feedback_categories.id"],
            name=op.f("fk_feedback_routing_rules_category_id_feedback_categories"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_feedback_routing_rules_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_routing_rules")),
        sa.UniqueConstraint(
            "category_id", "unit_id", name=op.f("uq_feedback_routing_rules_category_id_unit_id")
        ),
    )
    op.create_table(
        "feedback_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("media_type", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("private_path", sa.String(length=255), nullable=False),
        sa.Column("public_path", sa.String(length=255), nullable=False),
        sa.Column("public_type", sa.String(length=64), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["feedback_reports.id"],
            name=op.f("fk_feedback_attachments_report_id_feedback_reports"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_attachments")),
    )
    with op.batch_alter_table("feedback_attachments", schema=None) as batch_op:
        batch_op.create_index("ix_feedback_attachments_report", ["report_id"], unique=False)

    op.create_table(
        "feedback_report_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["feedback_reports.id"],
            name=op.f("fk_feedback_report_events_report_id_feedback_reports"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_report_events")),
    )
    with op.batch_alter_table("feedback_report_events", schema=None) as batch_op:
        batch_op.create_index("ix_feedback_report_events_public", ["public", "at"], unique=False)
        batch_op.create_index("ix_feedback_report_events_report", ["report_id", "id"], unique=False)


def downgrade() -> None:
    """Drop them."""
    with op.batch_alter_table("feedback_report_events", schema=None) as batch_op:
        batch_op.drop_index("ix_feedback_report_events_report")
        batch_op.drop_index("ix_feedback_report_events_public")

    op.drop_table("feedback_report_events")
    with op.batch_alter_table("feedback_attachments", schema=None) as batch_op:
        batch_op.drop_index("ix_feedback_attachments_report")

    op.drop_table("feedback_attachments")
    op.drop_table("feedback_routing_rules")
    with op.batch_alter_table("feedback_reports", schema=None) as batch_op:
        batch_op.drop_index("ix_feedback_reports_unit")
        batch_op.drop_index("ix_feedback_reports_submitted")
        batch_op.drop_index("ix_feedback_reports_remind")
        batch_op.drop_index("ix_feedback_reports_due")
        batch_op.drop_index("ix_feedback_reports_category")
        batch_op.drop_index("ix_feedback_reports_agency")

    op.drop_table("feedback_reports")
    op.drop_table("feedback_categories")
