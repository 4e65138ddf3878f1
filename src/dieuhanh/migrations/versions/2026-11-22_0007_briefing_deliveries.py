"""Dashboards: monthly briefings sent by email.

Revision ID: 0007_briefing_deliveries
Revises: 0006_data_versions
Create Date: 2026-11-22 03:50:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0007_briefing_deliveries"
down_revision: str | Sequence[str] | None = "0006_data_versions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the table."""
    op.create_table(
        "briefing_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_code", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("bytes", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_briefing_deliveries")),
        sa.UniqueConstraint(
            "unit_code", "period", name=op.f("uq_briefing_deliveries_unit_code_period")
        ),
    )


def downgrade() -> None:
    """Drop it."""
    op.drop_table("briefing_deliveries")
