"""Notification runs: when each promo's run is due (`notify_plan`) and when a pending notification
may be sent again (`notification.next_attempt_at`, with the partial index of pending rows the retries read).

Revision ID: promotions_0003
Revises: promotions_0002
Create Date: 2026-12-02
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import quintet_shared.types

revision = "promotions_0003"
down_revision = "promotions_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notify_plan",
        sa.Column("promo_id", sa.Integer(), nullable=False),
        sa.Column("client", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("task_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("due_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("started_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("runs", sa.Integer(), nullable=False),
        sa.Column("recorded", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["promo_id"], ["promo.id"], name=op.f("fk_notify_plan_promo_id_promo"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("promo_id", name=op.f("pk_notify_plan")),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("next_attempt_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(
            "ix_notification_pending_next_attempt_at",
            ["next_attempt_at"],
            unique=False,
            postgresql_where=sa.text("status = 'pending'"),
            sqlite_where=sa.text("status = 'pending'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_pending_next_attempt_at")
        batch_op.drop_column("next_attempt_at")
    op.drop_table("notify_plan")
