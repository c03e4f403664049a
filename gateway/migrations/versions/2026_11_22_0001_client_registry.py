"""The client registry, and the shared kit's tables (outbox, inbox, jobs, schedules, tenants).

Revision ID: gateway_0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

from quintet_shared.migrations import create_kit_tables, drop_kit_tables
from quintet_shared.types import UTCDateTime

revision = "gateway_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "client",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("services", sa.JSON(), nullable=False),
        sa.Column("rate_limit_per_minute", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("app_id_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_client")),
        sa.UniqueConstraint("app_id_hash", name=op.f("uq_client_app_id_hash")),
    )
    create_kit_tables()


def downgrade() -> None:
    drop_kit_tables()
    op.drop_table("client")
