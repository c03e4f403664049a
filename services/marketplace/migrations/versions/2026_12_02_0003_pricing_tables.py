"""Pricing tables: repricing settings, monitoring rounds, price feed versions and fetches.

Revision ID: marketplace_0003
Revises: marketplace_0002
Create Date: 2026-12-02
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import quintet_shared.types

revision = "marketplace_0003"
down_revision = "marketplace_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "monitoring_round",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("client", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("started_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_round")),
    )
    with op.batch_alter_table("monitoring_round", schema=None) as batch_op:
        batch_op.create_index("ix_monitoring_round_client_started_at", ["client", "started_at"], unique=False)

    op.create_table(
        "repricing_setting",
        sa.Column("client", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("ignored_merchant_ids", sa.JSON(), nullable=False),
        sa.Column("cooldown_seconds", sa.Integer(), nullable=False),
        sa.Column("max_changes_per_day", sa.Integer(), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("updated_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("client", name=op.f("pk_repricing_setting")),
    )
    op.create_table(
        "feed_fetch",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("client", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("fetched_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("built_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("remote", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("user_agent", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id"], ["store.id"], name=op.f("fk_feed_fetch_store_id_store"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_fetch")),
    )
    with op.batch_alter_table("feed_fetch", schema=None) as batch_op:
        batch_op.create_index("ix_feed_fetch_store_id_id", ["store_id", "id"], unique=False)

    op.create_table(
        "feed_version",
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("client", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("offers", sa.Integer(), nullable=False),
        sa.Column("built_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("covers_until", quintet_shared.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["store_id"], ["store.id"], name=op.f("fk_feed_version_store_id_store"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("store_id", name=op.f("pk_feed_version")),
    )


def downgrade() -> None:
    op.drop_table("feed_version")
    with op.batch_alter_table("feed_fetch", schema=None) as batch_op:
        batch_op.drop_index("ix_feed_fetch_store_id_id")

    op.drop_table("feed_fetch")
    op.drop_table("repricing_setting")
    with op.batch_alter_table("monitoring_round", schema=None) as batch_op:
        batch_op.drop_index("ix_monitoring_round_client_started_at")

    op.drop_table("monitoring_round")
