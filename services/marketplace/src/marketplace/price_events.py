"""Payloads of the pricing events the marketplace service publishes (it owns these contracts)."""

from datetime import datetime

from pydantic import BaseModel, Field

PRICE_CHANGED = "marketplace.price.changed"


class Competitor(BaseModel):
    merchant_id: str
    merchant_name: str
    price_cents: int


class PriceChanged(BaseModel):
    """`marketplace.price.changed`: the repricer changed a product's price (written in the change's
    transaction; dry-run proposals publish nothing)."""

    product_id: int
    sku: str
    name: str
    marketplace_product_id: str | None
    old_price_cents: int
    new_price_cents: int
    currency: str = "KZT"
    rule: str = Field(description="undercut, rise, keep or no_competitor")
    reason: str = Field(description="The rule, the competitor and its price, the clamp, in one line")
    competitor: Competitor | None
    clamp: str | None = Field(description='"min" or "max" when a bound applied')
    at_floor: bool
    changed_at: datetime
