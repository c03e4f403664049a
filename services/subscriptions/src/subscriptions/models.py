"""Subscriptions tables. Every table derives from `SubscriptionsModel`, whose metadata is this service's alone.

Every row belongs to one client (the operator selling forecasts by SMS); a child row (a billing
attempt, an SMS) belongs to its subscription's client, so another client's row is never found (404).
Times are UTC with time zone; *local dates* (`next_billing_date`, an SMS's `day`, a charge's
`billing_date`) are calendar dates in the client's time zone, which lives in `client_settings` (one
row per client, created with the defaults on first use; `GET/PUT /subscriptions/settings`).
Coordinates are degrees (WGS 84); 0 is a coordinate like any other.

Identifiers as given: a forecast point's `gid` is a string (leading zeros kept: "007" and "7" are two
points); an `msisdn` is 8 to 15 digits with the country code, stored as a string, never a number. A
plan is stored by name (`daily`, `weekly`); the original's codes (`11`, `21`) are accepted at the
edges (CSV, API) and translated there (`Plan.parse`).

Nearest forecast point
----------------------
`subscription.forecast_id` is the point nearest to the subscriber by exact great-circle distance
(nearest.py: a single lookup searches growing bounding boxes over the (client, latitude, longitude)
index; a batch queries a KD-tree of the client's points on the unit sphere). NULL while the client
has no point yet: the subscriber is kept and linked when points arrive. Deleting a point sets it to
NULL by the foreign key; the use case relinks those subscribers in the same transaction, and a
forecast upload relinks every subscriber a new or moved point is now nearest to.

CSV files (csv_import.py) apply each row as of its `ts`: an addition later than the cancellation
starts a new period; a cancellation older than `subscribed_at` changes nothing; an update older than
`located_at` (when the location in force was given) changes nothing and never touches `subscribed_at`.
So a file sent twice, or late, changes nothing more.

Periods and billing renewal
---------------------------
A subscription is one row per (client, msisdn) for ever. `period` counts its subscription periods:
1 when first added; a cancelled msisdn added again gets `period + 1`, a fresh `subscribed_at`,
`failed_attempts = 0` and `next_billing_date` = the local date it was added again (so history, its
charges and SMS, stays attached, and keys of the old period never collide with the new one).

Billing is due when `status != 'cancelled' AND next_billing_date <= today` (local date; the index
(client, status, next_billing_date) finds it). Charging the billing date D of period P:
- Attempt n is recorded *before* the call, as a `billing_attempt` row (status `pending`) with
  `idempotency_key = "sub-<id>-p<P>-<D>-a<n>"`, unique in the table; the provider is called with
  that key. A call that times out or a worker that crashes mid-call leaves the row `pending`; it is
  retried with the *same* key (the provider answers the first outcome, never charges twice), so a
  key is one charge however often it is sent. Only a definite answer moves to the next attempt n+1.
- Success: the row `success`; the subscription `active`, `plan_paid = plan`, `paid_until = D +
  plan days - 1`, `next_billing_date = D + plan days` (1 for daily, 7 for weekly: the date renews,
  the original's never did), `failed_attempts = 0`; `subscriptions.billing.charged` published.
- Failure: the row `failure`; `status = 'unpaid'`, `failed_attempts + 1`, next try after the backoff
  of the settings schedule (a daily plan's retries fit inside its day D). At
  `SUBSCRIPTIONS_BILLING_MAX_ATTEMPTS` failures: `cancelled`, `unsubscribed_at` set,
  `subscriptions.subscription.cancelled` published.
- Each step is one conditional UPDATE of the subscription (`WHERE next_billing_date = D AND period
  = P`), so two workers charging the same date cannot both advance it.
- `next_charge_at` gates the next try: recording an attempt sets it to the end of a lease (a worker
  that dies mid-call leaves it to be retried after the lease), a failure to the end of its backoff,
  a success clears it. Claiming is a conditional UPDATE of it, so one worker calls at a time.

One SMS a day
-------------
The daily run for local date D selects subscriptions with `status = 'active' AND paid_until >= D`
(a day not paid gets none; an unpaid or cancelled one gets none) and inserts one `sms_message` per
subscription for D; `UNIQUE (subscription_id, day)` is what makes "once a day" hold under two runs at
once or a run repeated (the insert of the second does nothing), not a check in code. A message is
recorded `queued` with its `msgid` (unique, lower-case hex: receipts are matched on it) before it is
sent; it is sent round-robin over the gateways and to another gateway on failure, up to
`SUBSCRIPTIONS_SMS_MAX_ATTEMPTS` (`attempts`); then `accepted` (sent_at), `delivered` (the callback;
delivered_at; a repeated callback changes nothing), `failed`, or `expired` when no receipt came within
`SUBSCRIPTIONS_SMS_RECEIPT_HOURS` (no receipt is a state, not an error).
"""

from datetime import date, datetime, time
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Time,
    text,
)
from sqlmodel import Field

from quintet_shared.db import model_base
from quintet_shared.types import UTCDateTime

SubscriptionsModel = model_base("SubscriptionsModel")
metadata = SubscriptionsModel.metadata

BigId = BigInteger().with_variant(Integer, "sqlite")  # SQLite's rowid alias must be INTEGER


class Plan(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"

    @property
    def code(self) -> str:
        """The original's `sub_plan` code, which the billing provider takes."""
        return {Plan.DAILY: "11", Plan.WEEKLY: "21"}[self]

    @property
    def days(self) -> int:
        return {Plan.DAILY: 1, Plan.WEEKLY: 7}[self]

    @classmethod
    def parse(cls, value: str) -> "Plan":
        """A plan by name or by code (`11`, `21`); ValueError otherwise."""
        value = value.strip().lower()
        for plan in cls:
            if value in (plan.value, plan.code):
                return plan
        raise ValueError("must be daily (11) or weekly (21)")


class SubscriptionStatus(StrEnum):
    ACTIVE = "active"  # its current period is paid
    UNPAID = "unpaid"  # its charge failed; retries pending
    CANCELLED = "cancelled"  # by the client, or after the failure limit


class ChargeStatus(StrEnum):
    PENDING = "pending"  # recorded, no definite answer yet: retried with the same key
    SUCCESS = "success"
    FAILURE = "failure"


class SmsStatus(StrEnum):
    QUEUED = "queued"
    ACCEPTED = "accepted"
    DELIVERED = "delivered"
    FAILED = "failed"
    EXPIRED = "expired"


class ClientSettings(SubscriptionsModel, table=True):
    """A client's own settings: its time zone (the local dates), when its daily SMS goes, its text,
    and the secret token of its delivery-receipt URL (`/subscriptions/public/sms/{token}`)."""

    __tablename__ = "client_settings"
    client: str = Field(max_length=64, primary_key=True)
    timezone: str = Field(default="UTC", max_length=64)  # IANA name
    sms_local_time: time = Field(default=time(9, 0), sa_type=Time)
    sms_template: str | None = Field(default=None, max_length=480)  # None: "fcat24: {fcat24}, fcat48: {fcat48}"
    callback_token: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class ForecastPoint(SubscriptionsModel, table=True):
    __tablename__ = "forecast_point"
    __table_args__ = (
        Index("uq_forecast_point_client_gid", "client", "gid", unique=True),
        Index("ix_forecast_point_client_latitude_longitude", "client", "latitude", "longitude"),  # nearest.py
        CheckConstraint("latitude BETWEEN -90 AND 90 AND longitude BETWEEN -180 AND 180", name="location_range"),
    )
    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True))
    client: str = Field(max_length=64)
    gid: str = Field(max_length=64)
    latitude: float
    longitude: float
    fcat24: str = Field(default="", max_length=200)
    fcat48: str = Field(default="", max_length=200)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class Subscription(SubscriptionsModel, table=True):
    __table_args__ = (
        Index("uq_subscription_client_msisdn", "client", "msisdn", unique=True),
        Index("ix_subscription_client_status_next_billing_date", "client", "status", "next_billing_date"),
        Index("ix_subscription_client_id", "client", "id"),
        CheckConstraint("latitude BETWEEN -90 AND 90 AND longitude BETWEEN -180 AND 180", name="location_range"),
        CheckConstraint("period >= 1 AND failed_attempts >= 0", name="counters"),
    )
    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True))
    client: str = Field(max_length=64)
    msisdn: str = Field(max_length=15)  # 8-15 digits with the country code
    plan: Plan = Field(sa_type=String(8))  # bought
    plan_paid: Plan | None = Field(default=None, sa_type=String(8))  # of the last paid period
    status: SubscriptionStatus = Field(default=SubscriptionStatus.UNPAID, sa_type=String(16))
    latitude: float
    longitude: float
    forecast_id: int | None = Field(
        default=None,
        sa_column=Column(BigId, ForeignKey("forecast_point.id", ondelete="SET NULL"), nullable=True, index=True),
    )
    period: int = 1
    subscribed_at: datetime = Field(sa_type=UTCDateTime)  # the start of the current period
    # When the location in force was given (a CSV row's ts, or the API call): an update older than
    # it is stale, so a file of updates sent again, or late, never moves a subscriber back.
    located_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    unsubscribed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    next_billing_date: date | None = Field(default=None, sa_type=Date)  # local; None once cancelled
    paid_until: date | None = Field(default=None, sa_type=Date)  # last local date the paid period covers
    failed_attempts: int = 0
    # When the charge of `next_billing_date` may next be tried: after a declined one's backoff, or once
    # the lease of one in flight runs out; None: at once (billing_claims.py).
    next_charge_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class BillingAttempt(SubscriptionsModel, table=True):
    """One call to the billing provider (recorded before it is made: see the module's docstring)."""

    __tablename__ = "billing_attempt"
    __table_args__ = (
        Index("uq_billing_attempt_idempotency_key", "idempotency_key", unique=True),
        Index("ix_billing_attempt_subscription_id_at", "subscription_id", "at"),
    )
    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True))
    client: str = Field(max_length=64)
    subscription_id: int = Field(
        sa_column=Column(BigId, ForeignKey("subscription.id", ondelete="CASCADE"), nullable=False)
    )
    period: int
    billing_date: date = Field(sa_type=Date)  # local: the date the charge renews from
    attempt: int
    plan: Plan = Field(sa_type=String(8))
    idempotency_key: str = Field(max_length=255)
    status: ChargeStatus = Field(default=ChargeStatus.PENDING, sa_type=String(16))
    at: datetime = Field(sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    error: str | None = Field(default=None, max_length=500)


class SmsMessage(SubscriptionsModel, table=True):
    """One day's forecast SMS to one subscription (at most one per local day: UNIQUE (subscription, day))."""

    __tablename__ = "sms_message"
    __table_args__ = (
        Index("uq_sms_message_msgid", "msgid", unique=True),
        Index("uq_sms_message_subscription_id_day", "subscription_id", "day", unique=True),
        Index("ix_sms_message_client_day_status", "client", "day", "status"),
        # The sends due: queued rows only, so an accepted one leaves the index.
        Index(
            "ix_sms_message_queued_next_attempt_at",
            "next_attempt_at",
            postgresql_where=text("status = 'queued'"),
            sqlite_where=text("status = 'queued'"),
        ),
    )
    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True))
    client: str = Field(max_length=64)
    subscription_id: int = Field(
        sa_column=Column(BigId, ForeignKey("subscription.id", ondelete="CASCADE"), nullable=False)
    )
    msgid: str = Field(max_length=64)  # lower-case hex
    day: date = Field(sa_type=Date)  # local
    gateway: str | None = Field(default=None, max_length=32)  # the last one tried
    status: SmsStatus = Field(default=SmsStatus.QUEUED, sa_type=String(16))
    text: str = Field(max_length=480)
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=500)
    queued_at: datetime = Field(sa_type=UTCDateTime)
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # accepted by a gateway
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class CsvUpload(SubscriptionsModel, table=True):
    """A forecasts or subscribers CSV sent to `POST /subscriptions/.../files`, kept (its bytes in
    chunks, quintet_shared.uploads) until a worker has imported it: the API and the worker may run on
    different machines. The import's last transaction writes `result` and `errors` and deletes the
    chunks, so a job run again after it reports the import instead of redoing it (csv_uploads.py)."""

    __tablename__ = "csv_upload"
    id: int | None = Field(default=None, primary_key=True)
    client: str = Field(max_length=64, index=True)
    kind: str = Field(max_length=16)  # forecasts, additions, cancellations, updates
    name: str = Field(max_length=255)
    size_bytes: int = Field(sa_type=BigInteger)
    created_at: datetime = Field(sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    result: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    errors: list[dict[str, Any]] | None = Field(default=None, sa_type=JSON)


class CsvUploadChunk(SubscriptionsModel, table=True):
    """About a megabyte of an upload, in order (quintet_shared.uploads)."""

    __tablename__ = "csv_upload_chunk"
    upload_id: int = Field(sa_column=Column(Integer, ForeignKey("csv_upload.id", ondelete="CASCADE"), primary_key=True))
    seq: int = Field(primary_key=True)
    data: bytes = Field(sa_type=LargeBinary)
