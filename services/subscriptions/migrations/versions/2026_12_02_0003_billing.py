"""Billing: when a subscription's next charge may be tried (`subscription.next_charge_at`).

Revision ID: subscriptions_0003_billing
Revises: subscriptions_0002
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

import quintet_shared.types

revision = "subscriptions_0003_billing"
down_revision = "subscriptions_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("subscription", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_charge_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("subscription", schema=None) as batch_op:
        batch_op.drop_column("next_charge_at")
