"""Promotions tables: stores, products, segments, profiles, promos, holds, purchases, notifications.

Revision ID: promotions_0002
Revises: promotions_0001
Create Date: 2026-12-02
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import quintet_shared.types

revision = "promotions_0002"
down_revision = "promotions_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "profile",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("user", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("created_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(latitude IS NULL) = (longitude IS NULL)", name=op.f("ck_profile_location_both_or_neither")
        ),
        sa.CheckConstraint(
            "latitude BETWEEN -90 AND 90 AND longitude BETWEEN -180 AND 180", name=op.f("ck_profile_location_range")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_profile")),
        sa.UniqueConstraint("client", "user", name=op.f("uq_profile_client_user")),
    )
    with op.batch_alter_table("profile", schema=None) as batch_op:
        batch_op.create_index("ix_profile_client_latitude_longitude", ["client", "latitude", "longitude"], unique=False)

    op.create_table(
        "segment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("created_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segment")),
        sa.UniqueConstraint("client", "name", name=op.f("uq_segment_client_name")),
    )
    op.create_table(
        "store",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("timezone", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "latitude BETWEEN -90 AND 90 AND longitude BETWEEN -180 AND 180", name=op.f("ck_store_location_range")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_store")),
    )
    with op.batch_alter_table("store", schema=None) as batch_op:
        batch_op.create_index("ix_store_client_id", ["client", "id"], unique=False)
        batch_op.create_index("ix_store_client_latitude_longitude", ["client", "latitude", "longitude"], unique=False)

    op.create_table(
        "product",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("regular_price_cents", sa.BigInteger(), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("created_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("regular_price_cents > 0", name=op.f("ck_product_regular_price_positive")),
        sa.ForeignKeyConstraint(["store_id"], ["store.id"], name=op.f("fk_product_store_id_store")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product")),
    )
    with op.batch_alter_table("product", schema=None) as batch_op:
        batch_op.create_index("ix_product_client_id", ["client", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_product_store_id"), ["store_id"], unique=False)

    op.create_table(
        "profile_segment",
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("segment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["profile_id"], ["profile.id"], name=op.f("fk_profile_segment_profile_id_profile"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["segment_id"], ["segment.id"], name=op.f("fk_profile_segment_segment_id_segment")),
        sa.PrimaryKeyConstraint("profile_id", "segment_id", name=op.f("pk_profile_segment")),
    )
    with op.batch_alter_table("profile_segment", schema=None) as batch_op:
        batch_op.create_index("ix_profile_segment_segment_id_profile_id", ["segment_id", "profile_id"], unique=False)

    op.create_table(
        "promo",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("promo_price_cents", sa.BigInteger(), nullable=False),
        sa.Column("starts_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("radius_km", sa.Float(), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("per_user_limit", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("units_taken", sa.Integer(), nullable=False),
        sa.Column("units_sold", sa.Integer(), nullable=False),
        sa.Column("created_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_promo_ends_after_start")),
        sa.CheckConstraint("promo_price_cents >= 0", name=op.f("ck_promo_promo_price_not_negative")),
        sa.CheckConstraint("radius_km > 0", name=op.f("ck_promo_radius_positive")),
        sa.CheckConstraint("units >= 1 AND per_user_limit >= 1", name=op.f("ck_promo_units_positive")),
        sa.CheckConstraint(
            "units_sold >= 0 AND units_sold <= units_taken AND units_taken <= units", name=op.f("ck_promo_stock")
        ),
        sa.ForeignKeyConstraint(["product_id"], ["product.id"], name=op.f("fk_promo_product_id_product")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promo")),
    )
    with op.batch_alter_table("promo", schema=None) as batch_op:
        batch_op.create_index("ix_promo_client_ends_at", ["client", "ends_at"], unique=False)
        batch_op.create_index("ix_promo_client_id", ["client", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_promo_product_id"), ["product_id"], unique=False)

    op.create_table(
        "hold",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("promo_id", sa.Integer(), nullable=False),
        sa.Column("user", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("idempotency_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("created_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["promo_id"], ["promo.id"], name=op.f("fk_hold_promo_id_promo"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hold")),
        sa.UniqueConstraint("client", "idempotency_key", name=op.f("uq_hold_client_idempotency_key")),
    )
    with op.batch_alter_table("hold", schema=None) as batch_op:
        batch_op.create_index("ix_hold_client_id", ["client", "id"], unique=False)
        batch_op.create_index("ix_hold_promo_id_status_expires_at", ["promo_id", "status", "expires_at"], unique=False)
        batch_op.create_index("ix_hold_promo_id_user", ["promo_id", "user"], unique=False)

    op.create_table(
        "notification",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("client", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("promo_id", sa.Integer(), nullable=False),
        sa.Column("user", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("created_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["promo_id"], ["promo.id"], name=op.f("fk_notification_promo_id_promo"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
        sa.UniqueConstraint("client", "promo_id", "user", name=op.f("uq_notification_client_promo_id_user")),
        sa.UniqueConstraint("client", "user", "day", name=op.f("uq_notification_client_user_day")),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index("ix_notification_promo_id_status", ["promo_id", "status"], unique=False)

    op.create_table(
        "promo_segment",
        sa.Column("promo_id", sa.Integer(), nullable=False),
        sa.Column("segment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["promo_id"], ["promo.id"], name=op.f("fk_promo_segment_promo_id_promo"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["segment_id"], ["segment.id"], name=op.f("fk_promo_segment_segment_id_segment")),
        sa.PrimaryKeyConstraint("promo_id", "segment_id", name=op.f("pk_promo_segment")),
    )
    with op.batch_alter_table("promo_segment", schema=None) as batch_op:
        batch_op.create_index("ix_promo_segment_segment_id_promo_id", ["segment_id", "promo_id"], unique=False)

    op.create_table(
        "purchase",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("hold_id", sa.Integer(), nullable=False),
        sa.Column("promo_id", sa.Integer(), nullable=False),
        sa.Column("user", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("completed_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["hold_id"], ["hold.id"], name=op.f("fk_purchase_hold_id_hold")),
        sa.ForeignKeyConstraint(["promo_id"], ["promo.id"], name=op.f("fk_purchase_promo_id_promo")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase")),
        sa.UniqueConstraint("hold_id", name=op.f("uq_purchase_hold_id")),
    )
    with op.batch_alter_table("purchase", schema=None) as batch_op:
        batch_op.create_index("ix_purchase_client_id", ["client", "id"], unique=False)
        batch_op.create_index("ix_purchase_promo_id_user", ["promo_id", "user"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("purchase", schema=None) as batch_op:
        batch_op.drop_index("ix_purchase_promo_id_user")
        batch_op.drop_index("ix_purchase_client_id")

    op.drop_table("purchase")
    with op.batch_alter_table("promo_segment", schema=None) as batch_op:
        batch_op.drop_index("ix_promo_segment_segment_id_promo_id")

    op.drop_table("promo_segment")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_promo_id_status")

    op.drop_table("notification")
    with op.batch_alter_table("hold", schema=None) as batch_op:
        batch_op.drop_index("ix_hold_promo_id_user")
        batch_op.drop_index("ix_hold_promo_id_status_expires_at")
        batch_op.drop_index("ix_hold_client_id")

    op.drop_table("hold")
    with op.batch_alter_table("promo", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_promo_product_id"))
        batch_op.drop_index("ix_promo_client_id")
        batch_op.drop_index("ix_promo_client_ends_at")

    op.drop_table("promo")
    with op.batch_alter_table("profile_segment", schema=None) as batch_op:
        batch_op.drop_index("ix_profile_segment_segment_id_profile_id")

    op.drop_table("profile_segment")
    with op.batch_alter_table("product", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_product_store_id"))
        batch_op.drop_index("ix_product_client_id")

    op.drop_table("product")
    with op.batch_alter_table("store", schema=None) as batch_op:
        batch_op.drop_index("ix_store_client_latitude_longitude")
        batch_op.drop_index("ix_store_client_id")

    op.drop_table("store")
    op.drop_table("segment")
    with op.batch_alter_table("profile", schema=None) as batch_op:
        batch_op.drop_index("ix_profile_client_latitude_longitude")

    op.drop_table("profile")
