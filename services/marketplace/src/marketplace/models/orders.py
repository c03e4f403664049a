"""Orders of a store: synced from the marketplace's orders API or created through ours.

An order moves new → accepted → shipped → delivered, or to cancelled from any state before
delivered (marketplace.order_states). Its stock is taken when it is recorded (the marketplace
reserves the goods when the customer orders) and given back when it is cancelled: each item keeps
the units it actually took (`units_taken`), so a cancel returns exactly those, even when the sales
point had fewer than ordered. A synced order is found again by its marketplace id (unique per
store), so syncing twice records it once. `order` is a reserved word, hence `customer_order`.
"""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, Column, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlmodel import Field

from marketplace.models.base import BigId, MarketplaceModel
from quintet_shared.types import UTCDateTime


class OrderStatus(StrEnum):
    NEW = "new"
    ACCEPTED = "accepted"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


class OrderSource(StrEnum):
    MARKETPLACE = "marketplace"  # synced from the marketplace's orders API
    API = "api"  # created through POST /marketplace/orders


class CustomerOrder(MarketplaceModel, table=True):
    __tablename__ = "customer_order"
    __table_args__ = (
        UniqueConstraint("store_id", "marketplace_order_id"),  # NULLs (API orders) are distinct
        Index("ix_customer_order_client_id", "client", "id"),
        Index("ix_customer_order_client_placed_at", "client", "placed_at"),
        CheckConstraint("total_cents >= 0", name="total_not_negative"),
    )
    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True))
    client: str = Field(max_length=64)
    store_id: int = Field(sa_column=Column(Integer, ForeignKey("store.id"), nullable=False))
    sales_point_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("sales_point.id"), nullable=True, index=True)
    )
    source: OrderSource = Field(sa_type=String(16))
    marketplace_order_id: str | None = Field(default=None, max_length=64)
    code: str | None = Field(default=None, max_length=64)  # the number the customer sees
    status: OrderStatus = Field(default=OrderStatus.NEW, sa_type=String(16))
    customer_email: str | None = Field(default=None, max_length=320)
    customer_name: str = Field(default="", max_length=200)
    total_cents: int = Field(sa_type=BigInteger)
    currency: str = Field(max_length=3)
    placed_at: datetime = Field(sa_type=UTCDateTime)  # when the customer ordered
    status_changed_at: datetime = Field(sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)


class OrderItem(MarketplaceModel, table=True):
    """One line of an order; SKU, name and price are copied, so later catalogue edits do not
    rewrite it. `product_id` is NULL when the marketplace sold a SKU the catalogue does not know."""

    __tablename__ = "order_item"
    __table_args__ = (
        CheckConstraint("quantity > 0 AND units_taken >= 0 AND units_taken <= quantity", name="quantity"),
        CheckConstraint("price_cents >= 0", name="price_not_negative"),
    )
    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True))
    order_id: int = Field(
        sa_column=Column(BigId, ForeignKey("customer_order.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    product_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("product.id"), nullable=True, index=True)
    )
    sku: str = Field(max_length=100)
    name: str = Field(default="", max_length=500)
    quantity: int
    price_cents: int = Field(sa_type=BigInteger)  # per unit
    units_taken: int = 0  # from the order's sales point's stock; returned on cancel
