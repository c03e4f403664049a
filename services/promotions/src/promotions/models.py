"""Promotions tables. Every table derives from `PromotionsModel`, whose metadata is this service's alone.

Every row belongs to one client (the marketplace company); child rows (a product's store, a promo's
product) always belong to the same client as their parent, so another client's row is never found
(404). Money is integer cents with an ISO 4217 currency on the product; a promo is priced in its
product's currency. Times are UTC with time zone. Coordinates are degrees (WGS 84) in floats; a
latitude or longitude of 0 is a location like any other; "no location" is NULL in both columns.

Deleting: a store with products, a product with promos, a segment used by a promo or a profile and
a promo with purchases are refused (409 with a `code`; the foreign keys refuse it too); a promo's
holds and notifications, a profile's and a promo's segment links go with it (ON DELETE CASCADE).
The column `user` is a reserved word in PostgreSQL: SQLAlchemy quotes it; hand-written SQL must too.

Holds: how a unit is taken atomically (with several API replicas, on SQLite and PostgreSQL)
------------------------------------------------------------------------------------------------
A promo carries two counters: `units_taken` (units claimed by holds that have not been given back,
plus units sold) and `units_sold`. The database keeps `0 <= units_sold <= units_taken <= units`
(a CHECK), so no code path can oversell even by mistake.

- Take a unit (POST /promotions/holds), in one transaction:
  1. `UPDATE promo SET units_taken = units_taken + 1 WHERE id = :id AND units_taken < units` — one
     conditional statement: it locks the promo row (PostgreSQL: row lock, READ COMMITTED re-checks
     the condition after a concurrent writer commits; SQLite: the database write lock), so two
     replicas can never both take the last unit.
  2. If it matched no row, give back the expired holds of that promo and try again:
     `UPDATE hold SET status = 'expired' WHERE promo_id = :id AND status = 'held' AND expires_at <=
     :now` (each expired hold is flipped by exactly one transaction: the status condition is
     re-checked under the row lock), then `UPDATE promo SET units_taken = units_taken - :flipped`
     and step 1 again once. Nothing matched still: `sold_out` (every unit is sold or held by a live
     hold). So an expired hold returns its unit by itself, at the next hold that needs it: no
     sweeper is needed for correctness.
  3. With the promo row locked (step 1), the per-user rules are checked and the `hold` row inserted
     in the same transaction (a rule refused: roll back, which returns the unit). Checking after
     the lock serialises one user's double taps on one promo too.
- Complete a hold: `UPDATE hold SET status = 'completed' WHERE id = :id AND status = 'held' AND
  expires_at > :now` (no row: 410 if it expired, 404 if unknown or another user's), then
  `UPDATE promo SET units_sold = units_sold + 1` and insert the purchase; the unit stays taken.
- Release a hold: `UPDATE hold SET status = 'released' WHERE ... status = 'held'`, then
  `units_taken - 1`.
- Lock order everywhere after step 1 is hold rows, then the promo row, so the paths cannot deadlock
  each other (step 1 itself inserts a new hold row, which nobody else waits for).

Reading stock: `held` is the count of live holds (status 'held' and `expires_at > now`, served by
the (promo_id, status, expires_at) index), `sold` is `units_sold`, and the units left to take now
are `units - sold - held` (an expired, not yet given back hold counts as left). The last unit
*sold* ends a promo's sales (`units_sold = units`); units all held by live holds do not: they may
come back.

A retried hold with the same `Idempotency-Key` finds the first hold by the unique (client,
idempotency_key) and answers it instead of taking a second unit; keys are optional (NULLs are
distinct in a unique index on both databases).

Notifications: one row per (client, promo, user), and at most one per (client, user, day), where
`day` is the store's local date when the promo's notification run records it (its start, or the
moment an edit re-runs it): the unique indexes are what make "once per promo" and "once a day" hold
under concurrent runs, not a check in code. A row is recorded `pending` before it is pushed and is
pushed with its id as the provider's idempotency key, so it is delivered once however often it is
sent; `next_attempt_at` is when it may next be sent (the notification design is in notifications.py).
"""

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    text,
)
from sqlmodel import Field

from quintet_shared.db import model_base
from quintet_shared.types import UTCDateTime

PromotionsModel = model_base("PromotionsModel")
metadata = PromotionsModel.metadata


class HoldStatus(StrEnum):
    HELD = "held"  # live while expires_at > now; past that it holds nothing, whatever its status says
    COMPLETED = "completed"  # a purchase was made; its unit is sold
    RELEASED = "released"  # given back by its user
    EXPIRED = "expired"  # given back because it expired (step 2 in the module's docstring)


class NotificationStatus(StrEnum):
    PENDING = "pending"  # recorded, not yet accepted by the push provider
    SENT = "sent"
    FAILED = "failed"  # gave up after retries; kept, so the user is still never notified twice


class Store(PromotionsModel, table=True):
    __table_args__ = (
        Index("ix_store_client_id", "client", "id"),
        Index("ix_store_client_latitude_longitude", "client", "latitude", "longitude"),  # bounding boxes
        CheckConstraint("latitude BETWEEN -90 AND 90 AND longitude BETWEEN -180 AND 180", name="location_range"),
    )
    id: int | None = Field(default=None, primary_key=True)
    client: str = Field(max_length=64)
    name: str = Field(max_length=200)
    latitude: float
    longitude: float
    timezone: str = Field(max_length=64)  # IANA name; the local day a notification counts against
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class Product(PromotionsModel, table=True):
    __table_args__ = (
        Index("ix_product_client_id", "client", "id"),
        CheckConstraint("regular_price_cents > 0", name="regular_price_positive"),
    )
    id: int | None = Field(default=None, primary_key=True)
    client: str = Field(max_length=64)
    store_id: int = Field(sa_column=Column(Integer, ForeignKey("store.id"), nullable=False, index=True))
    name: str = Field(max_length=200)
    regular_price_cents: int = Field(sa_type=BigInteger)
    currency: str = Field(max_length=3)  # ISO 4217, upper case
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class Segment(PromotionsModel, table=True):
    __table_args__ = (UniqueConstraint("client", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    client: str = Field(max_length=64)
    name: str = Field(max_length=100)
    description: str = Field(default="", max_length=1000)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class Profile(PromotionsModel, table=True):
    """One end user of a client, by the client's own reference `user`."""

    __table_args__ = (
        UniqueConstraint("client", "user"),
        CheckConstraint("(latitude IS NULL) = (longitude IS NULL)", name="location_both_or_neither"),
        CheckConstraint("latitude BETWEEN -90 AND 90 AND longitude BETWEEN -180 AND 180", name="location_range"),
        # The bounding-box prefilter: a latitude range within one client, longitude checked in the index.
        Index("ix_profile_client_latitude_longitude", "client", "latitude", "longitude"),
    )
    id: int | None = Field(default=None, primary_key=True)
    client: str = Field(max_length=64)
    user: str = Field(max_length=200)
    email: str | None = Field(default=None, max_length=320)
    latitude: float | None = None
    longitude: float | None = None
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class ProfileSegment(PromotionsModel, table=True):
    __tablename__ = "profile_segment"
    __table_args__ = (Index("ix_profile_segment_segment_id_profile_id", "segment_id", "profile_id"),)
    profile_id: int = Field(sa_column=Column(Integer, ForeignKey("profile.id", ondelete="CASCADE"), primary_key=True))
    segment_id: int = Field(sa_column=Column(Integer, ForeignKey("segment.id"), primary_key=True))


class Promo(PromotionsModel, table=True):
    __table_args__ = (
        Index("ix_promo_client_id", "client", "id"),
        # Running promos: not ended yet (ends_at > now), then started (starts_at <= now).
        Index("ix_promo_client_ends_at", "client", "ends_at"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("promo_price_cents >= 0", name="promo_price_not_negative"),
        CheckConstraint("radius_km > 0", name="radius_positive"),
        CheckConstraint("units >= 1 AND per_user_limit >= 1", name="units_positive"),
        CheckConstraint("units_sold >= 0 AND units_sold <= units_taken AND units_taken <= units", name="stock"),
    )
    id: int | None = Field(default=None, primary_key=True)
    client: str = Field(max_length=64)
    product_id: int = Field(sa_column=Column(Integer, ForeignKey("product.id"), nullable=False, index=True))
    promo_price_cents: int = Field(sa_type=BigInteger)
    starts_at: datetime = Field(sa_type=UTCDateTime)
    ends_at: datetime = Field(sa_type=UTCDateTime)
    radius_km: float = Field(default=2.0, sa_type=Float)
    units: int = 1
    per_user_limit: int = 1
    active: bool = True
    units_taken: int = 0  # held (not given back) + sold: see the module's docstring
    units_sold: int = 0
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class PromoSegment(PromotionsModel, table=True):
    __tablename__ = "promo_segment"
    __table_args__ = (Index("ix_promo_segment_segment_id_promo_id", "segment_id", "promo_id"),)
    promo_id: int = Field(sa_column=Column(Integer, ForeignKey("promo.id", ondelete="CASCADE"), primary_key=True))
    segment_id: int = Field(sa_column=Column(Integer, ForeignKey("segment.id"), primary_key=True))


class Hold(PromotionsModel, table=True):
    __table_args__ = (
        UniqueConstraint("client", "idempotency_key"),
        Index("ix_hold_promo_id_status_expires_at", "promo_id", "status", "expires_at"),
        Index("ix_hold_promo_id_user", "promo_id", "user"),
        Index("ix_hold_client_id", "client", "id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    client: str = Field(max_length=64)
    promo_id: int = Field(sa_column=Column(Integer, ForeignKey("promo.id", ondelete="CASCADE"), nullable=False))
    user: str = Field(max_length=200)
    status: HoldStatus = Field(default=HoldStatus.HELD, sa_type=String(16))
    idempotency_key: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # completed, released or expired


class Purchase(PromotionsModel, table=True):
    """A completed hold. Amount and currency are copied from the promo and product at completion, so
    a later price edit does not rewrite history."""

    __table_args__ = (
        Index("ix_purchase_promo_id_user", "promo_id", "user"),
        Index("ix_purchase_client_id", "client", "id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    client: str = Field(max_length=64)
    hold_id: int = Field(sa_column=Column(Integer, ForeignKey("hold.id"), nullable=False, unique=True))
    promo_id: int = Field(sa_column=Column(Integer, ForeignKey("promo.id"), nullable=False))
    user: str = Field(max_length=200)
    amount_cents: int = Field(sa_type=BigInteger)
    currency: str = Field(max_length=3)
    completed_at: datetime = Field(sa_type=UTCDateTime)


class Notification(PromotionsModel, table=True):
    """One flash-promo notification to one user: recorded before it is pushed, so it is never sent
    twice, and at most one per user and local day (the store's time zone at the promo's start)."""

    __table_args__ = (
        UniqueConstraint("client", "promo_id", "user"),
        UniqueConstraint("client", "user", "day"),
        Index("ix_notification_promo_id_status", "promo_id", "status"),
        # The retries due: pending rows only, so a sent row leaves the index (and costs it no entry).
        Index(
            "ix_notification_pending_next_attempt_at",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
    )
    id: int | None = Field(
        default=None, sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    )
    client: str = Field(max_length=64)
    promo_id: int = Field(sa_column=Column(Integer, ForeignKey("promo.id", ondelete="CASCADE"), nullable=False))
    user: str = Field(max_length=200)
    day: date = Field(sa_type=Date)
    status: NotificationStatus = Field(default=NotificationStatus.PENDING, sa_type=String(16))
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # While pending: when it may be sent (again); a send in progress holds it off until then.
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class NotifyPlan(PromotionsModel, table=True):
    """When a promo's notification run is due (notify_schedule.py): the key of the one scheduled
    task that may start it, and when a run first started (`promotions.promo.started`)."""

    __tablename__ = "notify_plan"
    promo_id: int = Field(sa_column=Column(Integer, ForeignKey("promo.id", ondelete="CASCADE"), primary_key=True))
    client: str = Field(max_length=64)
    task_key: str | None = Field(default=None, max_length=200)  # NULL: no run due
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # the first run
    runs: int = 0
    recorded: int = 0  # notifications the runs recorded, in all


class ProfileUpload(PromotionsModel, table=True):
    """A profiles CSV sent to `POST /promotions/profiles/files`, kept (its bytes in chunks) until a
    worker has imported it. The API and the worker may run on different machines, so the bytes go to
    the database both reach. The import writes `result` and `errors` and deletes the chunks in its
    own transaction, so a job run again after that commit reports the import instead of redoing it."""

    __tablename__ = "profile_upload"
    id: int | None = Field(default=None, primary_key=True)
    client: str = Field(max_length=64, index=True)
    name: str = Field(max_length=255)
    size_bytes: int = Field(sa_type=BigInteger)
    strict: bool = False
    created_at: datetime = Field(sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    result: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    errors: list[dict[str, Any]] | None = Field(default=None, sa_type=JSON)


class ProfileUploadChunk(PromotionsModel, table=True):
    """About a megabyte of an upload, in order (quintet_shared.uploads)."""

    __tablename__ = "profile_upload_chunk"
    upload_id: int = Field(
        sa_column=Column(Integer, ForeignKey("profile_upload.id", ondelete="CASCADE"), primary_key=True)
    )
    seq: int = Field(primary_key=True)
    data: bytes = Field(sa_type=LargeBinary)
