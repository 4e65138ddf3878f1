"""Indicators: the data version that result caches compare.

Revision ID: 0006_data_versions
Revises: 0005_dashboards
Create Date: 2026-11-22 03:40:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0006_data_versions"
down_revision: str | Sequence[str] | None = "0005_dashboards"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the counter table with its one row."""
    table = op.create_table(
        "indicator_data_versions",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_indicator_data_versions")),
    )
    op.bulk_insert(table, [{"name": "indicators", "version": 0}])


def downgrade() -> None:
    """Drop it."""
    op.drop_table("indicator_data_versions")
