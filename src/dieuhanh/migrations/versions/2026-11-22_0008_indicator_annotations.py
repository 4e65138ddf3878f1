"""Indicators: annotations pinned to an indicator's charts (notes, events, directives).

Revision ID: 0008_indicator_annotations
Revises: 0007_briefing_deliveries
Create Date: 2026-11-22 04:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0008_indicator_annotations"
down_revision: str | Sequence[str] | None = "0007_briefing_deliveries"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the table and its (indicator, day) index."""
    op.create_table(
        "indicator_annotations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("end_day", sa.Date(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("text_vi", sa.String(length=500), nullable=False),
        sa.Column("text_en", sa.String(length=500), nullable=True),
        sa.Column("link", sa.String(length=500), nullable=True),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_by_name", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["indicator_id"],
            ["indicators.id"],
            name=op.f("fk_indicator_annotations_indicator_id_indicators"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_indicator_annotations_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_annotations")),
    )
    with op.batch_alter_table("indicator_annotations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_indicator_annotations_indicator_day", ["indicator_id", "day"], unique=False
        )


def downgrade() -> None:
    """Drop it."""
    with op.batch_alter_table("indicator_annotations", schema=None) as batch_op:
        batch_op.drop_index("ix_indicator_annotations_indicator_day")
    op.drop_table("indicator_annotations")
