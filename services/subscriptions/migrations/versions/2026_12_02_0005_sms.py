"""The daily SMS: an index of accepted messages by sent_at, for the sweep that expires those without a
receipt.

Revision ID: subscriptions_0005_sms
Revises: subscriptions_0004_csv
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "subscriptions_0005_sms"
down_revision = "subscriptions_0004_csv"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sms_message", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sms_message_accepted_sent_at",
            ["sent_at"],
            unique=False,
            postgresql_where=sa.text("status = 'accepted'"),
            sqlite_where=sa.text("status = 'accepted'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("sms_message", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_sms_message_accepted_sent_at",
            postgresql_where=sa.text("status = 'accepted'"),
            sqlite_where=sa.text("status = 'accepted'"),
        )
