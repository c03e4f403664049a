"""A seller's catalogue: stores on the marketplace, their sales points, products and stock.

Every row belongs to one client (the seller company); a child row (a store's sales point, a
product's stock) always belongs to its parent's client, so another client's row is never found
(404). Money is integer cents (tiyn: the marketplace trades in tenge, KZT). A store's marketplace
API token is kept encrypted (marketplace.secrets) and never returned; its feed token is the secret
in the public URL the marketplace polls for its price list (ARCHITECTURE.md §11).

Deleting: a store with sales points or orders, a sales point with stock or orders, and a product
with orders are refused (409 with a `code`; the foreign keys refuse it too); a product's stock,
observed offers and price history go with it (ON DELETE CASCADE).
"""

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Column, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlmodel import Field

from marketplace.models.base import MarketplaceModel
from quintet_shared.types import UTCDateTime


class Store(MarketplaceModel, table=True):
    __table_args__ = (
        UniqueConstraint("client", "merchant_id"),
        Index("ix_store_client_id", "client", "id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    client: str = Field(max_length=64)
    name: str = Field(max_length=200)
    merchant_id: str = Field(max_length=64)  # the marketplace's id of this shop
    city_id: str = Field(max_length=32)  # the marketplace's city whose offers this store competes in
    # Fernet token of the marketplace API token (MARKETPLACE_TOKEN_KEY); NULL: none given, no orders sync.
    api_token_encrypted: str | None = Field(default=None, sa_type=String(1024))
    feed_token: str = Field(max_length=64, unique=True)  # secret of the price feed's public URL
    # Orders created from this instant on are still to be synced (the orders API's creation filter).
    orders_synced_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class SalesPoint(MarketplaceModel, table=True):
    """A pickup point or warehouse of a store: where stock is kept and orders are collected."""

    __tablename__ = "sales_point"
    __table_args__ = (
        UniqueConstraint("store_id", "name"),
        Index("ix_sales_point_client_id", "client", "id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    client: str = Field(max_length=64)
    store_id: int = Field(sa_column=Column(Integer, ForeignKey("store.id"), nullable=False, index=True))
    name: str = Field(max_length=200)
    address: str = Field(default="", max_length=500)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class Product(MarketplaceModel, table=True):
    """One SKU of the seller. The repricer moves `price_cents` within [min, max] by `step_cents`
    when `repricing` is on; the database keeps the bounds sane whatever path writes them."""

    __table_args__ = (
        UniqueConstraint("client", "sku"),
        Index("ix_product_client_id", "client", "id"),
        # Monitoring walks a client's repriced products in id order (resumable from the last id).
        Index("ix_product_client_repricing_id", "client", "repricing", "id"),
        CheckConstraint("price_cents > 0", name="price_positive"),
        CheckConstraint("min_price_cents > 0 AND min_price_cents <= max_price_cents", name="bounds"),
        CheckConstraint("step_cents > 0", name="step_positive"),
    )
    id: int | None = Field(default=None, primary_key=True)
    client: str = Field(max_length=64)
    sku: str = Field(max_length=100)
    name: str = Field(max_length=500)
    category: str = Field(default="", max_length=200)
    marketplace_product_id: str | None = Field(default=None, max_length=64)
    price_cents: int = Field(sa_type=BigInteger)
    min_price_cents: int = Field(sa_type=BigInteger)
    max_price_cents: int = Field(sa_type=BigInteger)
    step_cents: int = Field(sa_type=BigInteger)
    repricing: bool = False
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class Stock(MarketplaceModel, table=True):
    """Units of a product at one sales point; a missing row is zero units."""

    __table_args__ = (
        CheckConstraint("units >= 0", name="units_not_negative"),
        Index("ix_stock_sales_point_id_product_id", "sales_point_id", "product_id"),
    )
    product_id: int = Field(sa_column=Column(Integer, ForeignKey("product.id", ondelete="CASCADE"), primary_key=True))
    sales_point_id: int = Field(sa_column=Column(Integer, ForeignKey("sales_point.id"), primary_key=True))
    client: str = Field(max_length=64)
    units: int = 0
    updated_at: datetime = Field(sa_type=UTCDateTime)
