"""What monitoring observed and what repricing did.

`offer_fetch` is one fetch of a product's competitor offers from the marketplace (per monitoring
round), `observed_offer` its offers as seen (prices converted to cents); a product's latest offers
are those of its latest successful fetch. `price_change` is every change of a product's price,
with its reason: who changed it (`source`: manual, upload, repricing), and for repricing the rule,
the competitor and its price, the clamp that applied; a dry-run proposal is recorded with
`applied` false and changes nothing.
"""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Index, Integer, String
from sqlmodel import Field

from marketplace.models.base import BigId, MarketplaceModel
from quintet_shared.types import UTCDateTime


class PriceChangeSource(StrEnum):
    MANUAL = "manual"  # PATCH/PUT through the API
    UPLOAD = "upload"  # a product file
    REPRICING = "repricing"  # the repricer, after a monitoring fetch


class OfferFetch(MarketplaceModel, table=True):
    __tablename__ = "offer_fetch"
    __table_args__ = (Index("ix_offer_fetch_product_id_fetched_at", "product_id", "fetched_at"),)
    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True))
    client: str = Field(max_length=64)
    product_id: int = Field(sa_column=Column(Integer, ForeignKey("product.id", ondelete="CASCADE"), nullable=False))
    fetched_at: datetime = Field(sa_type=UTCDateTime)
    total: int = 0  # offers the marketplace reported (its `total`)
    error: str | None = Field(default=None, max_length=500)  # the fetch failed: no offers recorded


class ObservedOffer(MarketplaceModel, table=True):
    __tablename__ = "observed_offer"
    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True))
    fetch_id: int = Field(
        sa_column=Column(BigId, ForeignKey("offer_fetch.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    merchant_id: str = Field(max_length=64)
    merchant_name: str = Field(default="", max_length=200)
    price_cents: int = Field(sa_type=BigInteger)
    position: int  # order in the marketplace's answer (0 first)


class PriceChange(MarketplaceModel, table=True):
    __tablename__ = "price_change"
    __table_args__ = (
        Index("ix_price_change_product_id_changed_at", "product_id", "changed_at"),
        Index("ix_price_change_client_id", "client", "id"),
    )
    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True))
    client: str = Field(max_length=64)
    product_id: int = Field(sa_column=Column(Integer, ForeignKey("product.id", ondelete="CASCADE"), nullable=False))
    source: PriceChangeSource = Field(sa_type=String(16))
    old_price_cents: int = Field(sa_type=BigInteger)
    new_price_cents: int = Field(sa_type=BigInteger)
    rule: str | None = Field(default=None, max_length=64)  # the repricing rule that decided
    competitor_merchant_id: str | None = Field(default=None, max_length=64)
    competitor_price_cents: int | None = Field(default=None, sa_type=BigInteger)
    clamp: str | None = Field(default=None, max_length=16)  # "min" or "max" when a bound applied
    at_floor: bool = False
    applied: bool = True  # False: a dry-run proposal
    detail: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    changed_at: datetime = Field(sa_type=UTCDateTime)
