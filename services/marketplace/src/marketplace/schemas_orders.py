"""What the marketplace API reads and answers for orders."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from marketplace.models import OrderStatus
from marketplace.schemas_catalogue import Sku
from marketplace.schemas_common import Body, Cents, Email, Id, Name

MAX_ITEMS = 100


class CustomerIn(Body):
    email: Email | None = None
    name: Name


class OrderItemIn(Body):
    sku: Sku = Field(description="One of your products' SKUs")
    quantity: Annotated[int, Field(strict=True, ge=1, le=10_000)]
    price_cents: Cents | None = Field(None, description="Per unit; the product's current price when left out")


class OrderCreate(Body):
    store_id: Id
    sales_point_id: Id | None = Field(None, description="Where it is collected; else the first point with the stock")
    customer: CustomerIn
    items: list[OrderItemIn] = Field(min_length=1, max_length=MAX_ITEMS)


class OrderStatusChange(Body):
    status: OrderStatus = Field(description="The next state: accepted, shipped, delivered, or cancelled")


class OrderItemPublic(BaseModel):
    product_id: int | None = Field(description="Null when the marketplace sold a SKU the catalogue lacks")
    sku: str
    name: str
    quantity: int
    price_cents: int
    units_taken: int = Field(description="Units taken from the sales point's stock (given back on cancel)")


class OrderPublic(BaseModel):
    id: int
    store_id: int
    sales_point_id: int | None
    source: str = Field(description="marketplace (synced) or api")
    marketplace_order_id: str | None
    code: str | None
    status: OrderStatus
    customer_email: str | None
    customer_name: str
    total_cents: int
    currency: str
    placed_at: datetime
    status_changed_at: datetime
    created_at: datetime
    items: list[OrderItemPublic]


class SyncResult(BaseModel):
    store_id: int
    pages: int
    seen: int = Field(description="Orders the marketplace listed")
    recorded: int = Field(description="New orders recorded (each published as marketplace.order.placed)")
    synced_until: datetime
