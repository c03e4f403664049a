"""What the promotions API reads and answers for stores, products, segments and profiles.

Bodies are strict: numbers must be JSON numbers (no "12" strings, no true for 1), unknown fields are
refused, and every bound is checked here so that nothing out of a column's range reaches the
database. A PATCH may leave a field out but not set it to null. Checks that span fields or rows
(lat/long together, a price below another row's) are the use cases', with the same 422 shape.
"""

from datetime import datetime
from functools import cache
from typing import Annotated, Any
from zoneinfo import available_timezones

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator

MAX_CENTS = 10**15  # ten trillion in a currency's major unit: beyond any price, inside a 64-bit column
MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL
MAX_SEGMENTS = 100  # segments named in one profile or promo


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _known_zone(value: str) -> str:
    if value not in _zones():
        raise ValueError("must be an IANA time zone name, e.g. Europe/Madrid or Asia/Almaty")
    return value


Id = Annotated[int, Field(strict=True, ge=1, le=MAX_ID)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
SegmentName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=r"^[^;\x00-\x1f\x7f]+$"),
    Field(description="Unique per client; no `;` (the profiles CSV separates segments with it)"),
]
Latitude = Annotated[
    float, Field(strict=True, ge=-90, le=90, allow_inf_nan=False, description="Degrees; 0 is a latitude")
]
Longitude = Annotated[
    float, Field(strict=True, ge=-180, le=180, allow_inf_nan=False, description="Degrees; 0 is a longitude")
]
TimeZone = Annotated[str, Field(max_length=64, examples=["Asia/Almaty"]), AfterValidator(_known_zone)]
Cents = Annotated[int, Field(strict=True, ge=0, le=MAX_CENTS, description="Integer minor units")]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$"), Field(examples=["KZT"], description="ISO 4217")]
Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")]
SegmentNames = Annotated[list[SegmentName], Field(max_length=MAX_SEGMENTS)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Patch(Body):
    """Every field optional; a field sent as null is refused (none of these can be empty). Fields
    are typed without `| None` and default to None: a left-out field is None (and not in
    `changes()`), while the document does not offer null as a value, and an error names the field
    alone rather than each member of a union."""

    @field_validator("*", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("must not be null (leave the field out to keep it)")
        return value

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


class StoreCreate(Body):
    name: Name
    latitude: Latitude
    longitude: Longitude
    timezone: TimeZone


class StorePatch(Patch):
    name: Name = None
    latitude: Latitude = None
    longitude: Longitude = None
    timezone: TimeZone = None


class StorePublic(BaseModel):
    id: int
    name: str
    latitude: float
    longitude: float
    timezone: str
    created_at: datetime
    updated_at: datetime


class ProductCreate(Body):
    store_id: Id
    name: Name
    regular_price_cents: Annotated[Cents, Field(ge=1)]
    currency: Currency


class ProductPatch(Patch):
    store_id: Id = None
    name: Name = None
    regular_price_cents: Annotated[Cents, Field(ge=1)] = None
    currency: Currency = None


class ProductPublic(BaseModel):
    id: int
    store_id: int
    name: str
    regular_price_cents: int
    currency: str
    created_at: datetime
    updated_at: datetime


class SegmentCreate(Body):
    name: SegmentName
    description: Annotated[str, Field(max_length=1000)] = ""


class SegmentPatch(Patch):
    name: SegmentName = None
    description: Annotated[str, Field(max_length=1000)] = None


class SegmentPublic(BaseModel):
    id: int
    name: str
    description: str
    created_at: datetime
    updated_at: datetime


class ProfileBody(Body):
    """The whole profile: what is left out is empty (no email, no location, no segments)."""

    email: Email | None = None
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    segments: SegmentNames = []


class ProfilePublic(BaseModel):
    user: str
    email: str | None
    latitude: float | None
    longitude: float | None
    segments: list[str] = Field(description="Segment names, sorted")
    created_at: datetime
    updated_at: datetime
