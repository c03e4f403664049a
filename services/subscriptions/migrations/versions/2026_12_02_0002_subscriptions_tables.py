"""Subscriptions tables: client settings, forecast points, subscriptions, billing attempts, SMS messages.

Revision ID: subscriptions_0002
Revises: subscriptions_0001
Create Date: 2026-12-02
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import quintet_shared.types

revision = "subscriptions_0002"
down_revision = "subscriptions_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "client_settings",
        sa.Column("client", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("timezone", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("sms_local_time", sa.Time(), nullable=False),
        sa.Column("sms_template", sqlmodel.sql.sqltypes.AutoString(length=480), nullable=True),
        sa.Column("callback_token", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("client", name=op.f("pk_client_settings")),
        sa.UniqueConstraint("callback_token", name=op.f("uq_client_settings_callback_token")),
    )
    op.create_table(
        "forecast_point",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("client", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("gid", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("fcat24", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("fcat48", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("created_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "latitude BETWEEN -90 AND 90 AND longitude BETWEEN -180 AND 180",
            name=op.f("ck_forecast_point_location_range"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forecast_point")),
    )
    with op.batch_alter_table("forecast_point", schema=None) as batch_op:
        batch_op.create_index(
            "ix_forecast_point_client_latitude_longitude", ["client", "latitude", "longitude"], unique=False
        )
        batch_op.create_index("uq_forecast_point_client_gid", ["client", "gid"], unique=True)

    op.create_table(
        "subscription",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("client", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("msisdn", sqlmodel.sql.sqltypes.AutoString(length=15), nullable=False),
        sa.Column("plan", sa.String(length=8), nullable=False),
        sa.Column("plan_paid", sa.String(length=8), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("forecast_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("subscribed_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("unsubscribed_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("next_billing_date", sa.Date(), nullable=True),
        sa.Column("paid_until", sa.Date(), nullable=True),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "latitude BETWEEN -90 AND 90 AND longitude BETWEEN -180 AND 180",
            name=op.f("ck_subscription_location_range"),
        ),
        sa.CheckConstraint("period >= 1 AND failed_attempts >= 0", name=op.f("ck_subscription_counters")),
        sa.ForeignKeyConstraint(
            ["forecast_id"],
            ["forecast_point.id"],
            name=op.f("fk_subscription_forecast_id_forecast_point"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscription")),
    )
    with op.batch_alter_table("subscription", schema=None) as batch_op:
        batch_op.create_index("ix_subscription_client_id", ["client", "id"], unique=False)
        batch_op.create_index(
            "ix_subscription_client_status_next_billing_date", ["client", "status", "next_billing_date"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_subscription_forecast_id"), ["forecast_id"], unique=False)
        batch_op.create_index("uq_subscription_client_msisdn", ["client", "msisdn"], unique=True)

    op.create_table(
        "billing_attempt",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("client", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("subscription_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("billing_date", sa.Date(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("plan", sa.String(length=8), nullable=False),
        sa.Column("idempotency_key", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscription.id"],
            name=op.f("fk_billing_attempt_subscription_id_subscription"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_attempt")),
    )
    with op.batch_alter_table("billing_attempt", schema=None) as batch_op:
        batch_op.create_index("ix_billing_attempt_subscription_id_at", ["subscription_id", "at"], unique=False)
        batch_op.create_index("uq_billing_attempt_idempotency_key", ["idempotency_key"], unique=True)

    op.create_table(
        "sms_message",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("client", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("subscription_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("msgid", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("gateway", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(length=480), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("queued_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sent_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscription.id"],
            name=op.f("fk_sms_message_subscription_id_subscription"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_message")),
    )
    with op.batch_alter_table("sms_message", schema=None) as batch_op:
        batch_op.create_index("ix_sms_message_client_day_status", ["client", "day", "status"], unique=False)
        batch_op.create_index(
            "ix_sms_message_queued_next_attempt_at",
            ["next_attempt_at"],
            unique=False,
            postgresql_where=sa.text("status = 'queued'"),
            sqlite_where=sa.text("status = 'queued'"),
        )
        batch_op.create_index("uq_sms_message_msgid", ["msgid"], unique=True)
        batch_op.create_index("uq_sms_message_subscription_id_day", ["subscription_id", "day"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("sms_message", schema=None) as batch_op:
        batch_op.drop_index("uq_sms_message_subscription_id_day")
        batch_op.drop_index("uq_sms_message_msgid")
        batch_op.drop_index(
            "ix_sms_message_queued_next_attempt_at",
            postgresql_where=sa.text("status = 'queued'"),
            sqlite_where=sa.text("status = 'queued'"),
        )
        batch_op.drop_index("ix_sms_message_client_day_status")

    op.drop_table("sms_message")
    with op.batch_alter_table("billing_attempt", schema=None) as batch_op:
        batch_op.drop_index("uq_billing_attempt_idempotency_key")
        batch_op.drop_index("ix_billing_attempt_subscription_id_at")

    op.drop_table("billing_attempt")
    with op.batch_alter_table("subscription", schema=None) as batch_op:
        batch_op.drop_index("uq_subscription_client_msisdn")
        batch_op.drop_index(batch_op.f("ix_subscription_forecast_id"))
        batch_op.drop_index("ix_subscription_client_status_next_billing_date")
        batch_op.drop_index("ix_subscription_client_id")

    op.drop_table("subscription")
    with op.batch_alter_table("forecast_point", schema=None) as batch_op:
        batch_op.drop_index("uq_forecast_point_client_gid")
        batch_op.drop_index("ix_forecast_point_client_latitude_longitude")

    op.drop_table("forecast_point")
    op.drop_table("client_settings")
