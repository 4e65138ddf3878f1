"""Dashboards: the calendar a dashboard opens in (ordinary calendar or Decree 09/2019
reporting periods).

Revision ID: 0009_dashboard_calendar
Revises: 0008_indicator_annotations
Create Date: 2026-11-22 09:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0009_dashboard_calendar"
down_revision: str | Sequence[str] | None = "0008_indicator_annotations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the column; existing dashboards keep the ordinary calendar (the pack sync moves
    the socio-economic one to Decree 09, since its definition changed)."""
    with op.batch_alter_table("dashboards") as batch:
        batch.add_column(
            sa.Column(
                "reporting_calendar",
                sa.String(length=16),
                nullable=False,
                server_default="calendar",
            )
        )


def downgrade() -> None:
    """Drop it."""
    with op.batch_alter_table("dashboards") as batch:
        batch.drop_column("reporting_calendar")
