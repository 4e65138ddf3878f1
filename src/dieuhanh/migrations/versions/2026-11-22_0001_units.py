"""Administrative units: hierarchy versions, units, closure, successions, boundaries.

Revision ID: 0001_units
Revises:
Create Date: 2026-11-22

Types are written out here (not imported from the models) so that this migration keeps
creating the same schema when the models change later.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_units"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# core.text.sort_key_type(): byte-order collation on PostgreSQL
SORT_KEY = sa.String(length=512).with_variant(sa.String(length=512, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "reference_data",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("checksum", sa.String(length=64), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_reference_data")),
    )
    op.create_table(
        "unit_hierarchies",
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_unit_hierarchies")),
    )
    op.create_table(
        "units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hierarchy", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("level_rank", sa.SmallInteger(), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("short_name", sa.String(length=255), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("area_km2", sa.Float(), nullable=True),
        sa.Column("agency_kind", sa.String(length=48), nullable=True),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("search_key", sa.String(length=600), nullable=False),
        sa.Column("sort_key", SORT_KEY, nullable=False),
        sa.ForeignKeyConstraint(
            ["hierarchy"],
            ["unit_hierarchies.code"],
            name=op.f("fk_units_hierarchy_unit_hierarchies"),
        ),
        sa.ForeignKeyConstraint(["parent_id"], ["units.id"], name=op.f("fk_units_parent_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_units")),
        sa.UniqueConstraint("hierarchy", "code", name=op.f("uq_units_hierarchy_code")),
    )
    with op.batch_alter_table("units") as batch_op:
        batch_op.create_index(
            "ix_units_parent_order", ["parent_id", "level_rank", "sort_key", "code"], unique=False
        )
        batch_op.create_index(
            "ix_units_search",
            ["hierarchy", "level_rank", "sort_key", "code", "search_key"],
            unique=False,
        )

    op.create_table(
        "unit_closure",
        sa.Column("ancestor_id", sa.Integer(), nullable=False),
        sa.Column("descendant_id", sa.Integer(), nullable=False),
        sa.Column("depth", sa.SmallInteger(), nullable=False),
        sa.Column("hierarchy", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["ancestor_id"], ["units.id"], name=op.f("fk_unit_closure_ancestor_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["descendant_id"], ["units.id"], name=op.f("fk_unit_closure_descendant_id_units")
        ),
        sa.PrimaryKeyConstraint("ancestor_id", "descendant_id", name=op.f("pk_unit_closure")),
    )
    with op.batch_alter_table("unit_closure") as batch_op:
        batch_op.create_index(
            "ix_unit_closure_descendant", ["descendant_id", "depth"], unique=False
        )

    op.create_table(
        "unit_geometries",
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("geojson", sa.Text(), nullable=False),
        sa.Column("min_lon", sa.Float(), nullable=False),
        sa.Column("min_lat", sa.Float(), nullable=False),
        sa.Column("max_lon", sa.Float(), nullable=False),
        sa.Column("max_lat", sa.Float(), nullable=False),
        sa.Column("source", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_unit_geometries_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("unit_id", name=op.f("pk_unit_geometries")),
    )
    op.create_table(
        "unit_successions",
        sa.Column("predecessor_id", sa.Integer(), nullable=False),
        sa.Column("successor_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("effective", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["predecessor_id"],
            ["units.id"],
            name=op.f("fk_unit_successions_predecessor_id_units"),
        ),
        sa.ForeignKeyConstraint(
            ["successor_id"], ["units.id"], name=op.f("fk_unit_successions_successor_id_units")
        ),
        sa.PrimaryKeyConstraint("predecessor_id", "successor_id", name=op.f("pk_unit_successions")),
    )
    with op.batch_alter_table("unit_successions") as batch_op:
        batch_op.create_index("ix_unit_successions_successor", ["successor_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("unit_successions") as batch_op:
        batch_op.drop_index("ix_unit_successions_successor")
    op.drop_table("unit_successions")
    op.drop_table("unit_geometries")
    with op.batch_alter_table("unit_closure") as batch_op:
        batch_op.drop_index("ix_unit_closure_descendant")
    op.drop_table("unit_closure")
    with op.batch_alter_table("units") as batch_op:
        batch_op.drop_index("ix_units_search")
        batch_op.drop_index("ix_units_parent_order")
    op.drop_table("units")
    op.drop_table("unit_hierarchies")
    op.drop_table("reference_data")
