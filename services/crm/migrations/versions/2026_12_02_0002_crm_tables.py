"""CRM tables: restaurants and their links to other services' stores, customers, visits, campaigns
and their outreach events (one per campaign and customer), customer uploads.

Revision ID: crm_0002
Revises: crm_0001
Create Date: 2026-12-02
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import quintet_shared.types

revision = "crm_0002"
down_revision = "crm_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customer_upload",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("created_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("errors", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_upload")),
    )
    with op.batch_alter_table("customer_upload", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customer_upload_client"), ["client"], unique=False)

    op.create_table(
        "restaurant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("timezone", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_restaurant")),
    )
    with op.batch_alter_table("restaurant", schema=None) as batch_op:
        batch_op.create_index("ix_restaurant_client_id", ["client", "id"], unique=False)

    op.create_table(
        "campaign",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("restaurant", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("segment_type", sa.String(length=32), nullable=False),
        sa.Column("segment_value", sa.BigInteger(), nullable=False),
        sa.Column("message_template", sqlmodel.sql.sqltypes.AutoString(length=10000), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=True),
        sa.Column("created_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("completed_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("segment_value >= 0", name=op.f("ck_campaign_segment_value_not_negative")),
        sa.ForeignKeyConstraint(["restaurant"], ["restaurant.id"], name=op.f("fk_campaign_restaurant_restaurant")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign")),
    )
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.create_index("ix_campaign_client_id", ["client", "id"], unique=False)
        batch_op.create_index("ix_campaign_restaurant", ["restaurant"], unique=False)

    op.create_table(
        "customer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("restaurant", sa.Integer(), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column("first_name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("last_name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("total_spend_cents", sa.BigInteger(), nullable=False),
        sa.Column("last_visit_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("unsubscribed_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("total_spend_cents >= 0", name=op.f("ck_customer_total_spend_not_negative")),
        sa.ForeignKeyConstraint(["restaurant"], ["restaurant.id"], name=op.f("fk_customer_restaurant_restaurant")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer")),
        sa.UniqueConstraint("restaurant", "email", name=op.f("uq_customer_restaurant_email")),
    )
    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.create_index("ix_customer_client_id", ["client", "id"], unique=False)
        batch_op.create_index("ix_customer_restaurant_last_visit_at", ["restaurant", "last_visit_at"], unique=False)
        batch_op.create_index(
            "ix_customer_restaurant_total_spend_cents", ["restaurant", "total_spend_cents"], unique=False
        )

    op.create_table(
        "customer_upload_chunk",
        sa.Column("upload_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["upload_id"],
            ["customer_upload.id"],
            name=op.f("fk_customer_upload_chunk_upload_id_customer_upload"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("upload_id", "seq", name=op.f("pk_customer_upload_chunk")),
    )
    op.create_table(
        "restaurant_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("restaurant", sa.Integer(), nullable=False),
        sa.Column("service", sa.String(length=32), nullable=False),
        sa.Column("store_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["restaurant"], ["restaurant.id"], name=op.f("fk_restaurant_link_restaurant_restaurant"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_restaurant_link")),
        sa.UniqueConstraint("client", "service", "store_id", name=op.f("uq_restaurant_link_client_service_store_id")),
    )
    with op.batch_alter_table("restaurant_link", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_restaurant_link_restaurant"), ["restaurant"], unique=False)

    op.create_table(
        "outreach_event",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("client", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("campaign", sa.Integer(), nullable=False),
        sa.Column("customer", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("created_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("next_attempt_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign"], ["campaign.id"], name=op.f("fk_outreach_event_campaign_campaign"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["customer"], ["customer.id"], name=op.f("fk_outreach_event_customer_customer"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outreach_event")),
        sa.UniqueConstraint("campaign", "customer", name=op.f("uq_outreach_event_campaign_customer")),
    )
    with op.batch_alter_table("outreach_event", schema=None) as batch_op:
        batch_op.create_index("ix_outreach_event_campaign_status", ["campaign", "status"], unique=False)
        batch_op.create_index("ix_outreach_event_client_id", ["client", "id"], unique=False)
        batch_op.create_index("ix_outreach_event_customer", ["customer"], unique=False)

    op.create_table(
        "visit",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("client", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("customer", sa.Integer(), nullable=False),
        sa.Column("spend_cents", sa.BigInteger(), nullable=False),
        sa.Column("visited_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("source_ref", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("created_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("spend_cents >= 0", name=op.f("ck_visit_spend_not_negative")),
        sa.ForeignKeyConstraint(
            ["customer"], ["customer.id"], name=op.f("fk_visit_customer_customer"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit")),
        sa.UniqueConstraint("client", "source", "source_ref", name=op.f("uq_visit_client_source_source_ref")),
    )
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.create_index("ix_visit_client_id", ["client", "id"], unique=False)
        batch_op.create_index("ix_visit_customer_visited_at", ["customer", "visited_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.drop_index("ix_visit_customer_visited_at")
        batch_op.drop_index("ix_visit_client_id")

    op.drop_table("visit")
    with op.batch_alter_table("outreach_event", schema=None) as batch_op:
        batch_op.drop_index("ix_outreach_event_customer")
        batch_op.drop_index("ix_outreach_event_client_id")
        batch_op.drop_index("ix_outreach_event_campaign_status")

    op.drop_table("outreach_event")
    with op.batch_alter_table("restaurant_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_restaurant_link_restaurant"))

    op.drop_table("restaurant_link")
    op.drop_table("customer_upload_chunk")
    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.drop_index("ix_customer_restaurant_total_spend_cents")
        batch_op.drop_index("ix_customer_restaurant_last_visit_at")
        batch_op.drop_index("ix_customer_client_id")

    op.drop_table("customer")
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.drop_index("ix_campaign_restaurant")
        batch_op.drop_index("ix_campaign_client_id")

    op.drop_table("campaign")
    with op.batch_alter_table("restaurant", schema=None) as batch_op:
        batch_op.drop_index("ix_restaurant_client_id")

    op.drop_table("restaurant")
    with op.batch_alter_table("customer_upload", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_upload_client"))

    op.drop_table("customer_upload")
