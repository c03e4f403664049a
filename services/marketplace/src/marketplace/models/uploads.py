"""Product files sent to `POST /marketplace/products/files`, kept (their bytes in chunks,
quintet_shared.uploads) until a worker has imported them; the import writes `result` and `errors`
and deletes the chunks in its own transaction, so a job run again reports instead of redoing it."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Integer, LargeBinary
from sqlmodel import Field

from marketplace.models.base import MarketplaceModel
from quintet_shared.types import UTCDateTime


class ProductUpload(MarketplaceModel, table=True):
    __tablename__ = "product_upload"
    id: int | None = Field(default=None, primary_key=True)
    client: str = Field(max_length=64, index=True)
    name: str = Field(max_length=255)
    file_format: str = Field(max_length=8)  # csv or xlsx
    size_bytes: int = Field(sa_type=BigInteger)
    created_at: datetime = Field(sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    result: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    errors: list[dict[str, Any]] | None = Field(default=None, sa_type=JSON)


class ProductUploadChunk(MarketplaceModel, table=True):
    __tablename__ = "product_upload_chunk"
    upload_id: int = Field(
        sa_column=Column(Integer, ForeignKey("product_upload.id", ondelete="CASCADE"), primary_key=True)
    )
    seq: int = Field(primary_key=True)
    data: bytes = Field(sa_type=LargeBinary)
