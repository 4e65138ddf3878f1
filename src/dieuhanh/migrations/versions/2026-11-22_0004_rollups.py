"""Indicators: roll-ups kept on write (``observation_rollups``), filled from what is stored.

Revision ID: 0004_rollups
Revises: 0003_indicators
Create Date: 2026-11-22 03:20:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0004_rollups"
down_revision: str | Sequence[str] | None = "0003_indicators"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the table, then compute it from the observations already stored."""
    op.create_table(
        "observation_rollups",
        sa.Column("indicator_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("period_type", sa.String(length=8), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("unit_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("disagg", sa.String(length=128), nullable=False),
        sa.Column("level_rank", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("total", sa.Float(), nullable=False),
        sa.Column("reported", sa.Integer(), nullable=False),
        sa.Column("lowest", sa.Float(), nullable=False),
        sa.Column("highest", sa.Float(), nullable=False),
        sa.Column("provisional", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "indicator_id",
            "period_type",
            "period_start",
            "unit_id",
            "disagg",
            "level_rank",
            name=op.f("pk_observation_rollups"),
        ),
        sqlite_with_rowid=False,
    )
    op.execute(
        """
        INSERT INTO observation_rollups (indicator_id, period_type, period_start, unit_id,
            disagg, level_rank, total, reported, lowest, highest, provisional)
        SELECT o.indicator_id, o.period_type, o.period_start, c.ancestor_id, o.disagg,
            u.level_rank, sum(o.value), count(*), min(o.value), max(o.value),
            sum(CASE WHEN o.status = 'p' THEN 1 ELSE 0 END)
        FROM unit_closure c
        JOIN units u ON u.id = c.descendant_id
        JOIN observations o ON o.unit_id = c.descendant_id
        WHERE c.depth > 0
        GROUP BY o.indicator_id, o.period_type, o.period_start, c.ancestor_id, o.disagg,
            u.level_rank
        """
    )


def downgrade() -> None:
    """Drop the table (it is derived data)."""
    op.drop_table("observation_rollups")
