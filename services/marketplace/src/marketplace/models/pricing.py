"""Repricing settings, monitoring rounds, and the price feed's versions and fetches.

`repricing_setting` holds a client's brakes and exceptions (merchants never to undercut, the
cooldown and daily cap per product, dry run); a client without a row gets the defaults.
`monitoring_round` is one round over a client's repriced products, with its summary; the latest
one's start decides when the next is due (the tariff's interval). `feed_version` is a store's
current price list, replaced whole (in one transaction) only by a version that was built and
validated; `feed_fetch` logs each time the marketplace read it, with the version it got, so the
seller sees how long a change took to go live.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, LargeBinary
from sqlmodel import Field

from marketplace.models.base import BigId, MarketplaceModel
from quintet_shared.types import UTCDateTime

DEFAULT_COOLDOWN_SECONDS = 900
DEFAULT_MAX_CHANGES_PER_DAY = 48


class RepricingSetting(MarketplaceModel, table=True):
    __tablename__ = "repricing_setting"
    client: str = Field(max_length=64, primary_key=True)
    ignored_merchant_ids: list[str] = Field(default_factory=list, sa_type=JSON)
    cooldown_seconds: int = DEFAULT_COOLDOWN_SECONDS
    max_changes_per_day: int = DEFAULT_MAX_CHANGES_PER_DAY
    dry_run: bool = False
    updated_at: datetime = Field(sa_type=UTCDateTime)


class MonitoringRound(MarketplaceModel, table=True):
    __tablename__ = "monitoring_round"
    __table_args__ = (Index("ix_monitoring_round_client_started_at", "client", "started_at"),)
    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True))
    client: str = Field(max_length=64)
    started_at: datetime = Field(sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    summary: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


class FeedVersion(MarketplaceModel, table=True):
    __tablename__ = "feed_version"
    store_id: int = Field(sa_column=Column(Integer, ForeignKey("store.id", ondelete="CASCADE"), primary_key=True))
    client: str = Field(max_length=64)
    body: bytes = Field(sa_type=LargeBinary)  # the XML, as served
    offers: int = 0
    built_at: datetime = Field(sa_type=UTCDateTime)
    # The newest product or stock change the version includes: a later one makes it stale.
    covers_until: datetime | None = Field(default=None, sa_type=UTCDateTime)


class FeedFetch(MarketplaceModel, table=True):
    __tablename__ = "feed_fetch"
    __table_args__ = (Index("ix_feed_fetch_store_id_id", "store_id", "id"),)
    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True))
    client: str = Field(max_length=64)
    store_id: int = Field(sa_column=Column(Integer, ForeignKey("store.id", ondelete="CASCADE"), nullable=False))
    fetched_at: datetime = Field(sa_type=UTCDateTime)
    built_at: datetime = Field(sa_type=UTCDateTime)  # the version served
    remote: str = Field(default="", max_length=64)
    user_agent: str = Field(default="", max_length=255)
