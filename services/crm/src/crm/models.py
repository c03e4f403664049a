"""CRM tables. Every table derives from `CRMModel`, whose metadata is this service's alone.

A client of Quintet here is a restaurant group. Every row carries its `client`, and a child row
(a restaurant's customer, a customer's visit, a restaurant's campaign) always belongs to the same
client as its parent, so another client's row is never found (404). The columns that point at a
parent keep the original's field names (`restaurant`, `customer`, `campaign`), which are also the
API's. Money is integer cents; times are UTC with time zone; a restaurant's local day uses its IANA
time zone.

Totals: `customer.total_spend_cents` and `customer.last_visit_at` are derived from the customer's
visits, recomputed in the same transaction as every change to them, under the customer's row lock
(visits.py), so they stay exact whatever path changes visits and however many run at once.

Emails are stored lower-cased and stripped, so "unique per restaurant" and "matched by email" are
case-insensitive on both databases.

Deleting: a restaurant with customers or campaigns is refused (409 with a `code`; the foreign keys
refuse it too); a restaurant's links, a customer's visits and outreach events, and a campaign's
outreach events go with it (ON DELETE CASCADE).

Campaigns: one `outreach_event` per (campaign, customer), enforced by a unique constraint, so two
runs at once cannot send twice: the ledger is what a run (or a resumed run) works through.
"""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlmodel import Field

from quintet_shared.db import model_base
from quintet_shared.types import UTCDateTime

CRMModel = model_base("CRMModel")
metadata = CRMModel.metadata


class LinkedService(StrEnum):
    """The services whose stores a restaurant can be linked to (their events become visits)."""

    PROMOTIONS = "promotions"
    MARKETPLACE = "marketplace"


class VisitSource(StrEnum):
    API = "api"  # created through /crm/visits or add_visit
    PROMOTIONS = "promotions"  # a promotions.purchase.completed event
    MARKETPLACE = "marketplace"  # a marketplace.order.placed event


class SegmentType(StrEnum):
    INACTIVE = "inactive"  # segment_value: days without a visit (since local midnight that many days ago)
    HIGH_SPENDERS = "high_spenders"  # segment_value: minimum total spend in cents, inclusive


class CampaignStatus(StrEnum):
    DRAFT = "draft"
    RUNNING = "running"
    PAUSED = "paused"
    COMPLETED = "completed"


class OutreachStatus(StrEnum):
    QUEUED = "queued"  # recorded, not yet accepted by the mail relay
    SENT = "sent"
    FAILED = "failed"  # gave up after retries
    SKIPPED = "skipped"  # not sent on purpose (unsubscribed, no email)


class Restaurant(CRMModel, table=True):
    __table_args__ = (Index("ix_restaurant_client_id", "client", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    client: str = Field(max_length=64)
    name: str = Field(max_length=200)
    timezone: str = Field(max_length=64)  # IANA name: the local day segments count in
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class RestaurantLink(CRMModel, table=True):
    """A store of another service whose purchases or orders are this restaurant's visits. A store
    is linked to at most one restaurant of a client, so an event finds exactly one."""

    __tablename__ = "restaurant_link"
    __table_args__ = (UniqueConstraint("client", "service", "store_id"),)
    id: int | None = Field(default=None, primary_key=True)
    client: str = Field(max_length=64)
    restaurant: int = Field(
        sa_column=Column(Integer, ForeignKey("restaurant.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    service: LinkedService = Field(sa_type=String(32))
    store_id: str = Field(max_length=64)  # the other service's id, as text: ids are theirs to shape


class Customer(CRMModel, table=True):
    __table_args__ = (
        UniqueConstraint("restaurant", "email"),
        Index("ix_customer_client_id", "client", "id"),
        # Segments, per restaurant: inactive by last visit, high spenders by total.
        Index("ix_customer_restaurant_last_visit_at", "restaurant", "last_visit_at"),
        Index("ix_customer_restaurant_total_spend_cents", "restaurant", "total_spend_cents"),
        CheckConstraint("total_spend_cents >= 0", name="total_spend_not_negative"),
    )
    id: int | None = Field(default=None, primary_key=True)
    client: str = Field(max_length=64)
    restaurant: int = Field(sa_column=Column(Integer, ForeignKey("restaurant.id"), nullable=False))
    email: str = Field(max_length=320)  # lower-cased
    first_name: str = Field(default="", max_length=100)
    last_name: str = Field(default="", max_length=100)
    total_spend_cents: int = Field(default=0, sa_type=BigInteger)  # the sum of its visits: see the docstring
    last_visit_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # the latest visit; NULL: none
    unsubscribed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # skipped by every campaign
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class Visit(CRMModel, table=True):
    """One visit of a customer. A visit from another service's event carries that event's reference
    (`source`, `source_ref`), unique per client, so the same purchase never counts twice even when
    it arrives in two messages."""

    __table_args__ = (
        UniqueConstraint("client", "source", "source_ref"),
        Index("ix_visit_client_id", "client", "id"),
        Index("ix_visit_customer_visited_at", "customer", "visited_at"),
        CheckConstraint("spend_cents >= 0", name="spend_not_negative"),
    )
    id: int | None = Field(
        default=None, sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    )
    client: str = Field(max_length=64)
    customer: int = Field(sa_column=Column(Integer, ForeignKey("customer.id", ondelete="CASCADE"), nullable=False))
    spend_cents: int = Field(sa_type=BigInteger)
    visited_at: datetime = Field(sa_type=UTCDateTime)
    source: VisitSource = Field(default=VisitSource.API, sa_type=String(32))
    source_ref: str | None = Field(default=None, max_length=200)  # NULL for API visits (NULLs are distinct)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class Campaign(CRMModel, table=True):
    __table_args__ = (
        Index("ix_campaign_client_id", "client", "id"),
        Index("ix_campaign_restaurant", "restaurant"),
        CheckConstraint("segment_value >= 0", name="segment_value_not_negative"),
    )
    id: int | None = Field(default=None, primary_key=True)
    client: str = Field(max_length=64)
    restaurant: int = Field(sa_column=Column(Integer, ForeignKey("restaurant.id"), nullable=False))
    name: str = Field(max_length=200)
    segment_type: SegmentType = Field(sa_type=String(32))
    segment_value: int = Field(sa_type=BigInteger)
    message_template: str = Field(max_length=10000)  # placeholders checked at save time (templates.py)
    status: CampaignStatus = Field(default=CampaignStatus.DRAFT, sa_type=String(16))
    summary: dict[str, Any] | None = Field(default=None, sa_type=JSON)  # {sent, failed, skipped} once completed
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class OutreachEvent(CRMModel, table=True):
    """One campaign message to one customer: recorded before it is sent, once per (campaign,
    customer) by the unique constraint, so runs at once, pauses and restarts never send twice."""

    __tablename__ = "outreach_event"
    __table_args__ = (
        UniqueConstraint("campaign", "customer"),
        Index("ix_outreach_event_client_id", "client", "id"),
        Index("ix_outreach_event_campaign_status", "campaign", "status"),
        Index("ix_outreach_event_customer", "customer"),
    )
    id: int | None = Field(
        default=None, sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    )
    client: str = Field(max_length=64)
    campaign: int = Field(sa_column=Column(Integer, ForeignKey("campaign.id", ondelete="CASCADE"), nullable=False))
    customer: int = Field(sa_column=Column(Integer, ForeignKey("customer.id", ondelete="CASCADE"), nullable=False))
    status: OutreachStatus = Field(default=OutreachStatus.QUEUED, sa_type=String(16))
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # while queued: when it may be sent


class CustomerUpload(CRMModel, table=True):
    """A customers CSV sent to `POST /crm/customers/files`, kept (its bytes in chunks) until a
    worker has imported it; the import writes `result` and `errors` and deletes the chunks in its own
    transaction, so a job run again after that commit reports the import instead of redoing it."""

    __tablename__ = "customer_upload"
    id: int | None = Field(default=None, primary_key=True)
    client: str = Field(max_length=64, index=True)
    name: str = Field(max_length=255)
    size_bytes: int = Field(sa_type=BigInteger)
    created_at: datetime = Field(sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    result: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    errors: list[dict[str, Any]] | None = Field(default=None, sa_type=JSON)


class CustomerUploadChunk(CRMModel, table=True):
    """About a megabyte of an upload, in order (quintet_shared.uploads)."""

    __tablename__ = "customer_upload_chunk"
    upload_id: int = Field(
        sa_column=Column(Integer, ForeignKey("customer_upload.id", ondelete="CASCADE"), primary_key=True)
    )
    seq: int = Field(primary_key=True)
    data: bytes = Field(sa_type=LargeBinary)
