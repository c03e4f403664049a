"""Profile uploads: CSV files sent to POST /promotions/profiles/files, kept in chunks until a worker
imports them, then their result.

Revision ID: promotions_0004
Revises: promotions_0003
Create Date: 2026-12-02
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import quintet_shared.types

revision = "promotions_0004"
down_revision = "promotions_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "profile_upload",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("strict", sa.Boolean(), nullable=False),
        sa.Column("created_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", quintet_shared.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("errors", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_profile_upload")),
    )
    with op.batch_alter_table("profile_upload", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_profile_upload_client"), ["client"], unique=False)

    op.create_table(
        "profile_upload_chunk",
        sa.Column("upload_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["upload_id"],
            ["profile_upload.id"],
            name=op.f("fk_profile_upload_chunk_upload_id_profile_upload"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("upload_id", "seq", name=op.f("pk_profile_upload_chunk")),
    )


def downgrade() -> None:
    op.drop_table("profile_upload_chunk")
    with op.batch_alter_table("profile_upload", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_profile_upload_client"))
    op.drop_table("profile_upload")
