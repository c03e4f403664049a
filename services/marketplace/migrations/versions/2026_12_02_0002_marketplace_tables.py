"""Marketplace tables: catalogue (stores, sales points, products, stock), orders, observed offers,
price history, notifications, tariffs and their purchases, landing content, product uploads.

Revision ID: marketplace_0002
Revises: marketplace_0001
Create Date: 2026-12-02
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import quintet_shared.types

revision = "marketplace_0002"
down_revision = "marketplace_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "faq_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("answer", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_faq_entry")),
    )
    op.create_table(
        "footer_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_footer_link")),
    )
    op.create_table(
        "notification",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("client", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("event", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("telegram_status", sa.String(length=16), nullable=False),
        sa.Column("telegram_attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index("ix_notification_client_id", ["client", "id"], unique=False)
        batch_op.create_index(
            "ix_notification_telegram_pending",
            ["id"],
            unique=False,
            postgresql_where=sa.text("telegram_status = 'pending'"),
            sqlite_where=sa.text("telegram_status = 'pending'"),
        )

    op.create_table(
        "notification_setting",
        sa.Column("client", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("telegram_chat_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("updated_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("client", name=op.f("pk_notification_setting")),
    )
    op.create_table(
        "product",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("sku", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("marketplace_product_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("price_cents", sa.BigInteger(), nullable=False),
        sa.Column("min_price_cents", sa.BigInteger(), nullable=False),
        sa.Column("max_price_cents", sa.BigInteger(), nullable=False),
        sa.Column("step_cents", sa.BigInteger(), nullable=False),
        sa.Column("repricing", sa.Boolean(), nullable=False),
        sa.Column("created_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "min_price_cents > 0 AND min_price_cents <= max_price_cents", name=op.f("ck_product_bounds")
        ),
        sa.CheckConstraint("price_cents > 0", name=op.f("ck_product_price_positive")),
        sa.CheckConstraint("step_cents > 0", name=op.f("ck_product_step_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product")),
        sa.UniqueConstraint("client", "sku", name=op.f("uq_product_client_sku")),
    )
    with op.batch_alter_table("product", schema=None) as batch_op:
        batch_op.create_index("ix_product_client_id", ["client", "id"], unique=False)
        batch_op.create_index("ix_product_client_repricing_id", ["client", "repricing", "id"], unique=False)

    op.create_table(
        "product_upload",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("file_format", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("created_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("errors", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_upload")),
    )
    with op.batch_alter_table("product_upload", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_product_upload_client"), ["client"], unique=False)

    op.create_table(
        "review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("author", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("company", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name=op.f("ck_review_rating_range")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review")),
    )
    op.create_table(
        "store",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("merchant_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("city_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("api_token_encrypted", sa.String(length=1024), nullable=True),
        sa.Column("feed_token", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("orders_synced_until", quintet_shared.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_store")),
        sa.UniqueConstraint("client", "merchant_id", name=op.f("uq_store_client_merchant_id")),
        sa.UniqueConstraint("feed_token", name=op.f("uq_store_feed_token")),
    )
    with op.batch_alter_table("store", schema=None) as batch_op:
        batch_op.create_index("ix_store_client_id", ["client", "id"], unique=False)

    op.create_table(
        "tariff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("price_cents", sa.BigInteger(), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("period_days", sa.Integer(), nullable=False),
        sa.Column("monitored_product_limit", sa.Integer(), nullable=False),
        sa.Column("monitoring_interval_seconds", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("monitored_product_limit >= 0", name=op.f("ck_tariff_limit_not_negative")),
        sa.CheckConstraint("monitoring_interval_seconds >= 60", name=op.f("ck_tariff_interval_at_least_a_minute")),
        sa.CheckConstraint("period_days >= 1", name=op.f("ck_tariff_period_positive")),
        sa.CheckConstraint("price_cents >= 0", name=op.f("ck_tariff_price_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tariff")),
        sa.UniqueConstraint("code", name=op.f("uq_tariff_code")),
    )
    op.create_table(
        "offer_fetch",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("client", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("fetched_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["product_id"], ["product.id"], name=op.f("fk_offer_fetch_product_id_product"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offer_fetch")),
    )
    with op.batch_alter_table("offer_fetch", schema=None) as batch_op:
        batch_op.create_index("ix_offer_fetch_product_id_fetched_at", ["product_id", "fetched_at"], unique=False)

    op.create_table(
        "price_change",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("client", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("old_price_cents", sa.BigInteger(), nullable=False),
        sa.Column("new_price_cents", sa.BigInteger(), nullable=False),
        sa.Column("rule", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("competitor_merchant_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("competitor_price_cents", sa.BigInteger(), nullable=True),
        sa.Column("clamp", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("at_floor", sa.Boolean(), nullable=False),
        sa.Column("applied", sa.Boolean(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.Column("changed_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"], ["product.id"], name=op.f("fk_price_change_product_id_product"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_price_change")),
    )
    with op.batch_alter_table("price_change", schema=None) as batch_op:
        batch_op.create_index("ix_price_change_client_id", ["client", "id"], unique=False)
        batch_op.create_index("ix_price_change_product_id_changed_at", ["product_id", "changed_at"], unique=False)

    op.create_table(
        "product_upload_chunk",
        sa.Column("upload_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["upload_id"],
            ["product_upload.id"],
            name=op.f("fk_product_upload_chunk_upload_id_product_upload"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("upload_id", "seq", name=op.f("pk_product_upload_chunk")),
    )
    op.create_table(
        "sales_point",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("created_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["store_id"], ["store.id"], name=op.f("fk_sales_point_store_id_store")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_point")),
        sa.UniqueConstraint("store_id", "name", name=op.f("uq_sales_point_store_id_name")),
    )
    with op.batch_alter_table("sales_point", schema=None) as batch_op:
        batch_op.create_index("ix_sales_point_client_id", ["client", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sales_point_store_id"), ["store_id"], unique=False)

    op.create_table(
        "tariff_purchase",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("tariff_id", sa.Integer(), nullable=False),
        sa.Column("price_cents", sa.BigInteger(), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("starts_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_tariff_purchase_ends_after_start")),
        sa.ForeignKeyConstraint(["tariff_id"], ["tariff.id"], name=op.f("fk_tariff_purchase_tariff_id_tariff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tariff_purchase")),
    )
    with op.batch_alter_table("tariff_purchase", schema=None) as batch_op:
        batch_op.create_index("ix_tariff_purchase_client_ends_at", ["client", "ends_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_tariff_purchase_tariff_id"), ["tariff_id"], unique=False)

    op.create_table(
        "customer_order",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("client", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("sales_point_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("marketplace_order_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("customer_email", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True),
        sa.Column("customer_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("total_cents", sa.BigInteger(), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("placed_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status_changed_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("total_cents >= 0", name=op.f("ck_customer_order_total_not_negative")),
        sa.ForeignKeyConstraint(
            ["sales_point_id"], ["sales_point.id"], name=op.f("fk_customer_order_sales_point_id_sales_point")
        ),
        sa.ForeignKeyConstraint(["store_id"], ["store.id"], name=op.f("fk_customer_order_store_id_store")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_order")),
        sa.UniqueConstraint(
            "store_id", "marketplace_order_id", name=op.f("uq_customer_order_store_id_marketplace_order_id")
        ),
    )
    with op.batch_alter_table("customer_order", schema=None) as batch_op:
        batch_op.create_index("ix_customer_order_client_id", ["client", "id"], unique=False)
        batch_op.create_index("ix_customer_order_client_placed_at", ["client", "placed_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_customer_order_sales_point_id"), ["sales_point_id"], unique=False)

    op.create_table(
        "observed_offer",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("fetch_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("merchant_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("merchant_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("price_cents", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["fetch_id"], ["offer_fetch.id"], name=op.f("fk_observed_offer_fetch_id_offer_fetch"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_observed_offer")),
    )
    with op.batch_alter_table("observed_offer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_observed_offer_fetch_id"), ["fetch_id"], unique=False)

    op.create_table(
        "stock",
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("sales_point_id", sa.Integer(), nullable=False),
        sa.Column("client", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("updated_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("units >= 0", name=op.f("ck_stock_units_not_negative")),
        sa.ForeignKeyConstraint(
            ["product_id"], ["product.id"], name=op.f("fk_stock_product_id_product"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["sales_point_id"], ["sales_point.id"], name=op.f("fk_stock_sales_point_id_sales_point")
        ),
        sa.PrimaryKeyConstraint("product_id", "sales_point_id", name=op.f("pk_stock")),
    )
    with op.batch_alter_table("stock", schema=None) as batch_op:
        batch_op.create_index("ix_stock_sales_point_id_product_id", ["sales_point_id", "product_id"], unique=False)

    op.create_table(
        "order_item",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("sku", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("price_cents", sa.BigInteger(), nullable=False),
        sa.Column("units_taken", sa.Integer(), nullable=False),
        sa.CheckConstraint("price_cents >= 0", name=op.f("ck_order_item_price_not_negative")),
        sa.CheckConstraint(
            "quantity > 0 AND units_taken >= 0 AND units_taken <= quantity", name=op.f("ck_order_item_quantity")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["customer_order.id"], name=op.f("fk_order_item_order_id_customer_order"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["product_id"], ["product.id"], name=op.f("fk_order_item_product_id_product")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_item")),
    )
    with op.batch_alter_table("order_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_order_item_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_order_item_product_id"), ["product_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("order_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_item_product_id"))
        batch_op.drop_index(batch_op.f("ix_order_item_order_id"))

    op.drop_table("order_item")
    with op.batch_alter_table("stock", schema=None) as batch_op:
        batch_op.drop_index("ix_stock_sales_point_id_product_id")

    op.drop_table("stock")
    with op.batch_alter_table("observed_offer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_observed_offer_fetch_id"))

    op.drop_table("observed_offer")
    with op.batch_alter_table("customer_order", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_order_sales_point_id"))
        batch_op.drop_index("ix_customer_order_client_placed_at")
        batch_op.drop_index("ix_customer_order_client_id")

    op.drop_table("customer_order")
    with op.batch_alter_table("tariff_purchase", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tariff_purchase_tariff_id"))
        batch_op.drop_index("ix_tariff_purchase_client_ends_at")

    op.drop_table("tariff_purchase")
    with op.batch_alter_table("sales_point", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sales_point_store_id"))
        batch_op.drop_index("ix_sales_point_client_id")

    op.drop_table("sales_point")
    op.drop_table("product_upload_chunk")
    with op.batch_alter_table("price_change", schema=None) as batch_op:
        batch_op.drop_index("ix_price_change_product_id_changed_at")
        batch_op.drop_index("ix_price_change_client_id")

    op.drop_table("price_change")
    with op.batch_alter_table("offer_fetch", schema=None) as batch_op:
        batch_op.drop_index("ix_offer_fetch_product_id_fetched_at")

    op.drop_table("offer_fetch")
    op.drop_table("tariff")
    with op.batch_alter_table("store", schema=None) as batch_op:
        batch_op.drop_index("ix_store_client_id")

    op.drop_table("store")
    op.drop_table("review")
    with op.batch_alter_table("product_upload", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_product_upload_client"))

    op.drop_table("product_upload")
    with op.batch_alter_table("product", schema=None) as batch_op:
        batch_op.drop_index("ix_product_client_repricing_id")
        batch_op.drop_index("ix_product_client_id")

    op.drop_table("product")
    op.drop_table("notification_setting")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_notification_telegram_pending",
            postgresql_where=sa.text("telegram_status = 'pending'"),
            sqlite_where=sa.text("telegram_status = 'pending'"),
        )
        batch_op.drop_index("ix_notification_client_id")

    op.drop_table("notification")
    op.drop_table("footer_link")
    op.drop_table("faq_entry")
