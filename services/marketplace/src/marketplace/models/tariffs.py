"""Tariffs (the seller tool's plans) and what each seller bought.

Tariffs, like the landing content, are the operator's, shared by every client (the public landing
page shows them without an app id). A client's current tariff is its latest purchase whose period
covers now; a client with none is not limited.
"""

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Column, ForeignKey, Index, Integer
from sqlmodel import Field

from marketplace.models.base import MarketplaceModel
from quintet_shared.types import UTCDateTime


class Tariff(MarketplaceModel, table=True):
    __table_args__ = (
        CheckConstraint("price_cents >= 0", name="price_not_negative"),
        CheckConstraint("monitored_product_limit >= 0", name="limit_not_negative"),
        CheckConstraint("monitoring_interval_seconds >= 60", name="interval_at_least_a_minute"),
        CheckConstraint("period_days >= 1", name="period_positive"),
    )
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True)  # stable name for operators and purchases
    name: str = Field(max_length=200)
    description: str = Field(default="", max_length=2000)
    price_cents: int = Field(sa_type=BigInteger)
    currency: str = Field(default="KZT", max_length=3)
    period_days: int = 30  # what one purchase buys
    monitored_product_limit: int  # repriced products monitored per round; beyond it they are skipped
    monitoring_interval_seconds: int
    active: bool = True  # offered for sale (purchases of a retired tariff run to their end)
    position: int = 0  # order on the landing page
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class TariffPurchase(MarketplaceModel, table=True):
    """A tariff bought by a client: its price is copied, so a later tariff edit does not rewrite it."""

    __tablename__ = "tariff_purchase"
    __table_args__ = (
        Index("ix_tariff_purchase_client_ends_at", "client", "ends_at"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    )
    id: int | None = Field(default=None, primary_key=True)
    client: str = Field(max_length=64)
    tariff_id: int = Field(sa_column=Column(Integer, ForeignKey("tariff.id"), nullable=False, index=True))
    price_cents: int = Field(sa_type=BigInteger)
    currency: str = Field(max_length=3)
    starts_at: datetime = Field(sa_type=UTCDateTime)
    ends_at: datetime = Field(sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)
