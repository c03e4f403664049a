"""What the promotions API reads and answers for promos: CRUD, running, eligible and stats."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from promotions.schemas import Body, Cents, Id, Patch, SegmentName
from quintet_shared.geo import HALF_CIRCUMFERENCE_KM
from quintet_shared.instants import Instant

MAX_UNITS = 1_000_000_000

Radius = Annotated[
    float,
    Field(
        strict=True,
        gt=0,
        le=round(HALF_CIRCUMFERENCE_KM),
        allow_inf_nan=False,
        description="Kilometres from the store, great-circle; at most half the Earth's circumference",
    ),
]
Units = Annotated[int, Field(strict=True, ge=1, le=MAX_UNITS)]
PromoSegments = Annotated[list[SegmentName], Field(min_length=1, max_length=100)]


class PromoCreate(Body):
    product_id: Id
    promo_price_cents: Annotated[Cents, Field(description="Below the product's regular price, same currency")]
    starts_at: Instant
    ends_at: Annotated[Instant, Field(description="After starts_at")]
    segments: Annotated[PromoSegments, Field(description="Names of existing segments")]
    radius_km: Radius = 2.0
    units: Units = 1
    per_user_limit: Annotated[Units, Field(description="Units one user may buy")] = 1
    active: Annotated[bool, Field(strict=True)] = True


class PromoPatch(Patch):
    product_id: Id = None
    promo_price_cents: Cents = None
    starts_at: Instant = None
    ends_at: Instant = None
    segments: PromoSegments = None
    radius_km: Radius = None
    units: Units = None
    per_user_limit: Units = None
    active: Annotated[bool, Field(strict=True)] = None


class PromoPublic(BaseModel):
    id: int
    product_id: int
    store_id: int
    promo_price_cents: int
    regular_price_cents: int
    currency: str
    starts_at: datetime
    ends_at: datetime
    segments: list[str] = Field(description="Segment names, sorted")
    radius_km: float
    units: int
    per_user_limit: int
    active: bool
    created_at: datetime
    updated_at: datetime


class RunningPromo(BaseModel):
    """A promo on sale now: active, started, not ended, not sold out."""

    id: int
    product_id: int
    product_name: str
    store_id: int
    store_name: str
    promo_price_cents: int
    regular_price_cents: int
    currency: str
    starts_at: datetime
    ends_at: datetime
    radius_km: float
    units: int
    units_left: int = Field(
        description="Units neither sold nor held by a live hold: what can be taken now (0 while the last "
        "units are held; a hold that expires gives its unit back)"
    )


class EligiblePromo(RunningPromo):
    distance_km: float = Field(description="Great-circle distance from the user to the store, in km (3 decimals)")


class PromoStats(BaseModel):
    units: int
    held: int = Field(description="Live holds: status held and not expired")
    sold: int = Field(description="Purchases")
    notified: int = Field(description="Users whose notification the push provider accepted")
