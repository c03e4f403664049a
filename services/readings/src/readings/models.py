"""Readings tables. Every table derives from `ReadingsModel`, whose metadata is this service's alone.

Identifiers are strings (up to 64 characters): the original stored them as 12-digit integers and lost
the leading zero of the 22-digit carrots identifiers. Times are UTC with time zone; values are exact
decimals (16,4). A reading is unique by supply point, meter (none for formats without meters) and
time, so the same reading ingested twice is a duplicate, never a second row.
"""

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import BigInteger, Column, Index, Integer, LargeBinary, Numeric, String, UniqueConstraint, func
from sqlmodel import Field

from quintet_shared.db import model_base
from quintet_shared.types import UTCDateTime

ReadingsModel = model_base("ReadingsModel")
metadata = ReadingsModel.metadata


class MeterKind(StrEnum):
    INTERVAL = "interval"  # carrots 01: consumption per period (024 records)
    ACCUMULATION = "accumulation"  # carrots 02: a register's running total (026 records)


class ClientFormat(ReadingsModel, table=True):
    """How one client's files are read: the format plug-in and the client's local time zone."""

    __tablename__ = "client_format"
    client: str = Field(primary_key=True, max_length=64)
    format: str = Field(max_length=64)
    timezone: str = Field(max_length=64)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class SupplyPoint(ReadingsModel, table=True):
    __tablename__ = "supply_point"
    __table_args__ = (UniqueConstraint("client", "identifier"),)
    id: int | None = Field(default=None, primary_key=True)
    client: str = Field(max_length=64, index=True)
    identifier: str = Field(max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime)


class Manufacturer(ReadingsModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)


class Meter(ReadingsModel, table=True):
    __table_args__ = (UniqueConstraint("supply_point_id", "serial"),)
    id: int | None = Field(default=None, primary_key=True)
    supply_point_id: int = Field(foreign_key="supply_point.id")
    serial: str = Field(max_length=64)
    manufacturer_id: int | None = Field(default=None, foreign_key="manufacturer.id")
    kind: MeterKind = Field(sa_type=String(16))
    active: bool = True


class IngestedFile(ReadingsModel, table=True):
    """One ingestion of one file: what it held and what became of it."""

    __tablename__ = "ingested_file"
    id: int | None = Field(default=None, primary_key=True)
    client: str = Field(max_length=64, index=True)
    name: str = Field(max_length=255)
    sha256: str = Field(max_length=64, index=True)
    format: str = Field(max_length=64)
    size_bytes: int = Field(sa_type=BigInteger)
    supply_points: int = 0
    new_readings: int = 0
    duplicates: int = 0
    rejected: int = 0
    strict: bool = False
    status: str = Field(max_length=16)  # INGESTED, PARTIAL (some rows rejected), REJECTED
    created_at: datetime = Field(sa_type=UTCDateTime)


class Reading(ReadingsModel, table=True):
    """A reading has no foreign keys, on purpose: PostgreSQL checks each one with a trigger per
    row, and three of them cost three times the insert itself (a million readings: about 16 s of
    30). Readings are written only by ingestion (resolve.py), which takes the supply point, meter
    and file ids from rows it reads or writes in the same transaction, and nothing deletes those.
    The one index beside the key is the unique one, which also serves every per-supply-point query."""

    id: int | None = Field(
        default=None, sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    )
    supply_point_id: int
    meter_id: int | None = None
    read_at: datetime = Field(sa_type=UTCDateTime)
    value: Decimal = Field(sa_type=Numeric(16, 4))
    unit: str = Field(default="kWh", max_length=8)
    interval_minutes: int | None = None  # interval readings: the period's length; it starts at read_at
    time_code: int | None = None  # carrots: n-th half hour of the local day (1..48)
    method: str | None = Field(default=None, max_length=1)  # carrots register: how it was read
    estimated: bool = False
    deleted: bool = False
    file_id: int | None = None  # the ingested_file that brought it


# A reading without a meter (potatoes) counts as meter 0, so that it is unique too: plain NULLs would
# be distinct from each other in a unique index, on both databases.
Index(
    "uq_reading_point_meter_time",
    Reading.supply_point_id,  # type: ignore[arg-type]
    func.coalesce(Reading.meter_id, 0),
    Reading.read_at,  # type: ignore[arg-type]
    unique=True,
)


class Upload(ReadingsModel, table=True):
    """A file sent to `POST /readings/files`, kept in this service's database until a worker has
    ingested it: the API and the worker may run on different machines, so no local path would do."""

    id: int | None = Field(default=None, primary_key=True)
    client: str = Field(max_length=64, index=True)
    name: str = Field(max_length=255)
    size_bytes: int = Field(sa_type=BigInteger)
    strict: bool = False
    created_at: datetime = Field(sa_type=UTCDateTime)
    # Set in the transaction that ingests the file (and deletes its chunks): a job run again after
    # that commit finds the ingestion done instead of the bytes.
    file_id: int | None = Field(default=None, foreign_key="ingested_file.id")


class UploadChunk(ReadingsModel, table=True):
    """About a megabyte of an upload, in order: the file is written and read back a chunk at a time."""

    __tablename__ = "upload_chunk"
    upload_id: int = Field(foreign_key="upload.id", primary_key=True)
    seq: int = Field(primary_key=True)
    data: bytes = Field(sa_type=LargeBinary)
