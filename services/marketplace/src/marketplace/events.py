"""Payloads of the events the marketplace service publishes (it owns these contracts)."""

from datetime import datetime

from pydantic import BaseModel, Field

ORDER_PLACED = "marketplace.order.placed"


class OrderItemPayload(BaseModel):
    sku: str
    name: str
    quantity: int
    price_cents: int = Field(description="Per unit")


class OrderPlaced(BaseModel):
    """`marketplace.order.placed`: a new order was recorded (synced from the marketplace or created
    through the API), once per order; written in the order's transaction. crm makes it a visit when
    the store is linked to a restaurant."""

    order_id: int
    store_id: int
    store_name: str
    customer_email: str | None = Field(description="When the marketplace or the caller gave one")
    customer_name: str
    total_cents: int
    currency: str
    items: list[OrderItemPayload]
    placed_at: datetime = Field(description="When the customer ordered")
