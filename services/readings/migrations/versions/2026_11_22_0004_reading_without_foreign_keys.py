"""Readings without foreign keys and without the second index (see models.Reading).

Revision ID: readings_0004
Revises: readings_0003
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "readings_0004"
down_revision = "readings_0003"
branch_labels = None
depends_on = None

FOREIGN_KEYS = (
    ("fk_reading_file_id_ingested_file", "file_id", "ingested_file"),
    ("fk_reading_meter_id_meter", "meter_id", "meter"),
    ("fk_reading_supply_point_id_supply_point", "supply_point_id", "supply_point"),
)
UNIQUE = "uq_reading_point_meter_time"


def upgrade() -> None:
    op.drop_index("ix_reading_supply_point_id_read_at", table_name="reading")
    # SQLite drops a constraint by copying the table, and the copy would lose the expression index.
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.drop_index(UNIQUE, table_name="reading")
    with op.batch_alter_table("reading") as batch_op:
        for name, _, _ in FOREIGN_KEYS:
            batch_op.drop_constraint(name, type_="foreignkey")
    if sqlite:
        _create_unique_index()


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.drop_index(UNIQUE, table_name="reading")
    with op.batch_alter_table("reading") as batch_op:
        for name, column, table in FOREIGN_KEYS:
            batch_op.create_foreign_key(name, table, [column], ["id"])
    if sqlite:
        _create_unique_index()
    op.create_index("ix_reading_supply_point_id_read_at", "reading", ["supply_point_id", "read_at"])


def _create_unique_index() -> None:
    columns = ["supply_point_id", sa.text("coalesce(meter_id, 0)"), "read_at"]
    op.create_index(UNIQUE, "reading", columns, unique=True)
