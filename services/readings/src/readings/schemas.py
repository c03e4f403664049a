"""What the read API answers with, and how it reads time bounds.

Values travel as strings with the four stored decimals ("102.2000"), never as floats (ARCHITECTURE
§6). Times are RFC 3339; a bound in a query must carry its offset, because a naive time would be read
in some zone the caller never chose.
"""

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from quintet_shared.instants import Instant
from readings.models import MeterKind

Rfc3339 = Instant
"""A query bound: RFC 3339 text with Z or an offset, in UTC once validated; anything else (a naive
time, a date alone, an instant whose UTC date-time does not exist) is a 422 naming the field."""


class ReadingPublic(BaseModel):
    value: str = Field(examples=["102.2000"], description="kWh, exact, four decimals")
    read_at: datetime = Field(description="UTC, RFC 3339; for an interval reading, the interval's start")


class ReadingsV2(BaseModel):
    """The original v2 envelope, kept for the clients that depend on it."""

    status: bool = True
    data: list[ReadingPublic]


class V2Error(BaseModel):
    status: bool = False
    error: str = Field(examples=["Not a valid Supply Point!"])


class SupplyPointSummary(BaseModel):
    identifier: str
    meters: int = Field(description="Number of meters")
    reading_count: int = Field(description="Readings not marked deleted")
    first_read_at: datetime | None
    last_read_at: datetime | None


class MeterPublic(BaseModel):
    serial: str
    manufacturer: str | None
    kind: MeterKind
    active: bool
    reading_count: int


class SupplyPointDetail(BaseModel):
    identifier: str
    created_at: datetime
    reading_count: int = Field(description="Readings not marked deleted")
    deleted_reading_count: int
    first_read_at: datetime | None
    last_read_at: datetime | None
    meters: list[MeterPublic]


class Granularity(StrEnum):
    HOUR = "hour"
    DAY = "day"
    MONTH = "month"


class PeriodSources(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    interval: str = Field(description="Sum of interval readings")
    register_: str = Field(alias="register", description="Share of register differences apportioned to this period")


class PeriodConsumption(BaseModel):
    start: datetime = Field(description="Inclusive, in the client's offset")
    end: datetime = Field(description="Exclusive, in the client's offset")
    consumption: str = Field(examples=["1.2300"])
    has_data: bool = Field(description="False when no reading covers the period (consumption is then 0.0000)")
    sources: PeriodSources


class ConsumptionWarning(BaseModel):
    code: str = Field(examples=["register_decreased"])
    message: str
    meter: str | None = Field(description="Meter serial; null for readings without a meter")
    start: datetime
    end: datetime


class ConsumptionPublic(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    identifier: str
    granularity: Granularity
    timezone: str = Field(examples=["Asia/Tokyo"], description="The client's time zone; periods follow it")
    from_: datetime = Field(alias="from")
    to: datetime
    unit: str = "kWh"
    periods: list[PeriodConsumption]
    warnings: list[ConsumptionWarning]
