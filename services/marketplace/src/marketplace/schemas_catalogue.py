"""What the marketplace API reads and answers for stores, sales points and products."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from marketplace.schemas_common import Body, Code, Id, Name, Patch, PositiveCents, Text, Units

Sku = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]+$"),
    Field(description="Unique per client"),
]
ProductName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500, pattern=r"^[^\x00-\x1f\x7f]+$")
]
Category = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")]
ApiToken = Annotated[
    str,
    StringConstraints(min_length=1, max_length=500, pattern=r"^[\x21-\x7e]+$"),
    Field(description="The store's marketplace API token (X-Auth-Token); stored encrypted, never returned"),
]
StockMap = Annotated[
    dict[Annotated[int, Field(ge=1, le=2**31 - 1)], Units],
    Field(
        max_length=1000,
        description="Units per sales point id; a sales point left out keeps its stock",
        json_schema_extra={"propertyNames": {"pattern": "^[1-9][0-9]{0,9}$"}},
    ),
]


class StoreCreate(Body):
    name: Name
    merchant_id: Code = Field(description="The marketplace's id of this shop; unique per client")
    city_id: Annotated[str, StringConstraints(pattern=r"^[0-9]{1,20}$")] = Field(
        description="The marketplace's city id (Almaty: 750000000)"
    )
    api_token: ApiToken | None = None


class StorePatch(Patch):
    name: Name = None  # type: ignore[assignment]
    merchant_id: Code = None  # type: ignore[assignment]
    city_id: Annotated[str, StringConstraints(pattern=r"^[0-9]{1,20}$")] = None  # type: ignore[assignment]
    api_token: ApiToken = None  # type: ignore[assignment]


class StorePublic(BaseModel):
    id: int
    name: str
    merchant_id: str
    city_id: str
    api_token_set: bool = Field(description="Whether a marketplace API token is stored (it is never returned)")
    feed_url: str = Field(description="The price list URL to give the marketplace (secret: it names no client)")
    orders_synced_until: datetime | None
    created_at: datetime
    updated_at: datetime


class SalesPointCreate(Body):
    store_id: Id
    name: Name
    address: Text = ""


class SalesPointPatch(Patch):
    name: Name = None  # type: ignore[assignment]
    address: Text = None  # type: ignore[assignment]


class SalesPointPublic(BaseModel):
    id: int
    store_id: int
    name: str
    address: str
    created_at: datetime
    updated_at: datetime


class ProductFields(Body):
    sku: Sku
    name: ProductName
    category: Category = ""
    marketplace_product_id: Code | None = Field(None, description="The marketplace's product id (its offers page)")
    price_cents: PositiveCents
    min_price_cents: PositiveCents | None = Field(None, description="The repricer's floor; the price when left out")
    max_price_cents: PositiveCents | None = Field(None, description="The repricer's ceiling; the price when left out")
    step_cents: PositiveCents = Field(100, description="How far below a competitor the repricer goes")
    repricing: Annotated[bool, Field(strict=True)] = False


class ProductCreate(ProductFields):
    stock: StockMap = Field(default_factory=dict)


class ProductPatch(Patch):
    sku: Sku = None  # type: ignore[assignment]
    name: ProductName = None  # type: ignore[assignment]
    category: Category = None  # type: ignore[assignment]
    marketplace_product_id: Code = None  # type: ignore[assignment]
    price_cents: PositiveCents = None  # type: ignore[assignment]
    min_price_cents: PositiveCents = None  # type: ignore[assignment]
    max_price_cents: PositiveCents = None  # type: ignore[assignment]
    step_cents: PositiveCents = None  # type: ignore[assignment]
    repricing: Annotated[bool, Field(strict=True)] = None  # type: ignore[assignment]
    stock: StockMap = None  # type: ignore[assignment]


class ProductPublic(BaseModel):
    id: int
    sku: str
    name: str
    category: str
    marketplace_product_id: str | None
    price_cents: int
    min_price_cents: int
    max_price_cents: int
    step_cents: int
    repricing: bool
    stock: dict[int, int] = Field(description="Units per sales point id (points without stock left out)")
    created_at: datetime
    updated_at: datetime


class ObservedOfferPublic(BaseModel):
    merchant_id: str
    merchant_name: str
    price_cents: int
    own: bool = Field(description="One of the calling client's stores")


class ProductOffersPublic(BaseModel):
    product_id: int
    fetched_at: datetime | None = Field(description="The latest successful fetch; null: never fetched")
    total: int
    offers: list[ObservedOfferPublic]


class PriceChangePublic(BaseModel):
    id: int
    product_id: int
    source: str = Field(description="manual, upload or repricing")
    old_price_cents: int
    new_price_cents: int
    rule: str | None
    competitor_merchant_id: str | None
    competitor_price_cents: int | None
    clamp: str | None
    at_floor: bool
    applied: bool = Field(description="False: a dry-run proposal, not published")
    changed_at: datetime
