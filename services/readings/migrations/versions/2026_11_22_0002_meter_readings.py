"""Meter readings: client formats, supply points, manufacturers, meters, readings, ingested files.

Revision ID: readings_0002
Revises: readings_0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import quintet_shared.types

revision = "readings_0002"
down_revision = "readings_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "client_format",
        sa.Column("client", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("format", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("timezone", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("updated_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("client", name=op.f("pk_client_format")),
    )
    op.create_table(
        "ingested_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("format", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("supply_points", sa.Integer(), nullable=False),
        sa.Column("new_readings", sa.Integer(), nullable=False),
        sa.Column("duplicates", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("strict", sa.Boolean(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("created_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingested_file")),
    )
    with op.batch_alter_table("ingested_file", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ingested_file_client"), ["client"], unique=False)
        batch_op.create_index(batch_op.f("ix_ingested_file_sha256"), ["sha256"], unique=False)

    op.create_table(
        "manufacturer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_manufacturer")),
        sa.UniqueConstraint("name", name=op.f("uq_manufacturer_name")),
    )
    op.create_table(
        "supply_point",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("identifier", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supply_point")),
        sa.UniqueConstraint("client", "identifier", name=op.f("uq_supply_point_client_identifier")),
    )
    with op.batch_alter_table("supply_point", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_supply_point_client"), ["client"], unique=False)

    op.create_table(
        "meter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("supply_point_id", sa.Integer(), nullable=False),
        sa.Column("serial", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("manufacturer_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["manufacturer_id"], ["manufacturer.id"], name=op.f("fk_meter_manufacturer_id_manufacturer")
        ),
        sa.ForeignKeyConstraint(
            ["supply_point_id"], ["supply_point.id"], name=op.f("fk_meter_supply_point_id_supply_point")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meter")),
        sa.UniqueConstraint("supply_point_id", "serial", name=op.f("uq_meter_supply_point_id_serial")),
    )
    op.create_table(
        "reading",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("supply_point_id", sa.Integer(), nullable=False),
        sa.Column("meter_id", sa.Integer(), nullable=True),
        sa.Column("read_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("value", sa.Numeric(precision=16, scale=4), nullable=False),
        sa.Column("unit", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("interval_minutes", sa.Integer(), nullable=True),
        sa.Column("time_code", sa.Integer(), nullable=True),
        sa.Column("method", sqlmodel.sql.sqltypes.AutoString(length=1), nullable=True),
        sa.Column("estimated", sa.Boolean(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["file_id"], ["ingested_file.id"], name=op.f("fk_reading_file_id_ingested_file")),
        sa.ForeignKeyConstraint(["meter_id"], ["meter.id"], name=op.f("fk_reading_meter_id_meter")),
        sa.ForeignKeyConstraint(
            ["supply_point_id"], ["supply_point.id"], name=op.f("fk_reading_supply_point_id_supply_point")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reading")),
    )
    # A reading without a meter counts as meter 0 (see models.py); expression indexes are not
    # compared by autogenerate, so this one is written by hand.
    op.create_index(
        "uq_reading_point_meter_time",
        "reading",
        ["supply_point_id", sa.text("coalesce(meter_id, 0)"), "read_at"],
        unique=True,
    )
    op.create_index("ix_reading_supply_point_id_read_at", "reading", ["supply_point_id", "read_at"])


def downgrade() -> None:
    op.drop_index("ix_reading_supply_point_id_read_at", table_name="reading")
    op.drop_index("uq_reading_point_meter_time", table_name="reading")
    op.drop_table("reading")
    op.drop_table("meter")
    with op.batch_alter_table("supply_point", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supply_point_client"))

    op.drop_table("supply_point")
    op.drop_table("manufacturer")
    with op.batch_alter_table("ingested_file", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ingested_file_sha256"))
        batch_op.drop_index(batch_op.f("ix_ingested_file_client"))

    op.drop_table("ingested_file")
    op.drop_table("client_format")
