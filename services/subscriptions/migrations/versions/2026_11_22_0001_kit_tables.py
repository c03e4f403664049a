"""The shared kit's tables: outbox, inbox, jobs, schedules, tenants.

Revision ID: subscriptions_0001
Create Date: 2026-11-22
"""

from quintet_shared.migrations import create_kit_tables, drop_kit_tables

revision = "subscriptions_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_kit_tables()


def downgrade() -> None:
    drop_kit_tables()
