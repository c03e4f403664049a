"""CSV jobs: uploads kept in chunks until a worker imports them, and when a subscriber's location was given.

Revision ID: subscriptions_0004_csv
Revises: subscriptions_0003_billing
Create Date: 2026-12-02
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import quintet_shared.types

revision = "subscriptions_0004_csv"
down_revision = "subscriptions_0003_billing"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "csv_upload",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("created_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("errors", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_csv_upload")),
    )
    with op.batch_alter_table("csv_upload", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_csv_upload_client"), ["client"], unique=False)

    op.create_table(
        "csv_upload_chunk",
        sa.Column("upload_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["upload_id"], ["csv_upload.id"], name=op.f("fk_csv_upload_chunk_upload_id_csv_upload"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("upload_id", "seq", name=op.f("pk_csv_upload_chunk")),
    )
    with op.batch_alter_table("subscription", schema=None) as batch_op:
        batch_op.add_column(sa.Column("located_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("subscription", schema=None) as batch_op:
        batch_op.drop_column("located_at")
    op.drop_table("csv_upload_chunk")
    with op.batch_alter_table("csv_upload", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_csv_upload_client"))
    op.drop_table("csv_upload")
