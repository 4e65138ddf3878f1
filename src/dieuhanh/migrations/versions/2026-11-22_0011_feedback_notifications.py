"""Citizen feedback: the notifications outbox (SMS and e-mail to reporters).

Revision ID: 0011_feedback_notifications
Revises: 0010_feedback
Create Date: 2026-11-22 09:37:41.696607

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0011_feedback_notifications"
down_revision: str | Sequence[str] | None = "0010_feedback"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the table."""
    op.create_table(
        "feedback_notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("recipient", sa.String(length=255), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("attempts", sa.SmallInteger(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["feedback_report_events.id"],
            name=op.f("fk_feedback_notifications_event_id_feedback_report_events"),
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["feedback_reports.id"],
            name=op.f("fk_feedback_notifications_report_id_feedback_reports"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_notifications")),
        sa.UniqueConstraint(
            "event_id",
            "report_id",
            "channel",
            name=op.f("uq_feedback_notifications_event_id_report_id_channel"),
        ),
    )
    with op.batch_alter_table("feedback_notifications", schema=None) as batch_op:
        batch_op.create_index("ix_feedback_notifications_pending", ["status", "id"], unique=False)


def downgrade() -> None:
    """Drop it."""
    with op.batch_alter_table("feedback_notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_feedback_notifications_pending")

    op.drop_table("feedback_notifications")
