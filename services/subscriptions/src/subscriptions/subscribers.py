"""Subscriptions, by msisdn (unique per client). Adding links the nearest forecast point and makes
the subscription due for billing on the client's local date of today (it is `unpaid` until charged:
see models.py). Adding a cancelled msisdn again starts a new period; adding one that is not
cancelled is 409 `msisdn_subscribed`. Cancelling (DELETE, or PATCH `status: cancelled`) keeps the
row and its history; cancelling a cancelled subscription changes nothing."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlmodel import Session

from quintet_shared.errors import NotFound
from subscriptions.client_settings import get_settings, local_date
from subscriptions.models import (
    BillingAttempt,
    ForecastPoint,
    Plan,
    SmsMessage,
    Subscription,
    SubscriptionStatus,
)
from subscriptions.nearest import nearest_point
from subscriptions.problems import conflict
from subscriptions.schemas import (
    BillingPublic,
    SmsPublic,
    SubscriptionCreate,
    SubscriptionPatch,
    SubscriptionPublic,
    SubscriptionSummary,
)

HISTORY = 100  # charges and SMS shown with a subscription: the most recent


def find(session: Session, *, client: str, msisdn: str) -> Subscription | None:
    query = select(Subscription).where(Subscription.client == client, Subscription.msisdn == msisdn)  # type: ignore[arg-type]
    return session.execute(query).scalar_one_or_none()


def get_subscription(session: Session, *, client: str, msisdn: str) -> Subscription:
    row = find(session, client=client, msisdn=msisdn)
    if row is None:
        raise NotFound(f"Subscription {msisdn} was not found.")
    return row


def _link(session: Session, row: Subscription) -> None:
    found = nearest_point(session, client=row.client, latitude=row.latitude, longitude=row.longitude)
    row.forecast_id = found.id if found else None


def create_subscription(session: Session, *, client: str, data: SubscriptionCreate, now: datetime) -> Subscription:
    today = local_date(get_settings(session, client=client, now=now), now)
    row = find(session, client=client, msisdn=data.msisdn)
    if row is not None and row.status != SubscriptionStatus.CANCELLED:
        raise conflict(f"{data.msisdn} is subscribed already; cancel it first.", "msisdn_subscribed")
    if row is None:
        row = Subscription(client=client, msisdn=data.msisdn, plan=data.plan, latitude=0, longitude=0,
                           subscribed_at=now, created_at=now, updated_at=now)  # fmt: skip
        session.add(row)
    else:  # a new period of a cancelled subscription
        row.period += 1
    row.plan, row.latitude, row.longitude = data.plan, data.latitude, data.longitude
    row.status, row.plan_paid, row.paid_until = SubscriptionStatus.UNPAID, None, None
    row.subscribed_at, row.unsubscribed_at, row.located_at, row.updated_at = now, None, now, now
    row.next_billing_date, row.failed_attempts, row.next_charge_at = today, 0, None  # charged at once
    _link(session, row)
    session.flush()
    return row


def update_subscription(
    session: Session, *, client: str, msisdn: str, data: SubscriptionPatch, now: datetime
) -> Subscription:
    row = get_subscription(session, client=client, msisdn=msisdn)
    changes = data.changes()
    if changes.pop("status", None) == SubscriptionStatus.CANCELLED:
        cancel(row, now)
    if "plan" in changes:
        row.plan = changes["plan"]  # from the next renewal on: the paid period keeps `plan_paid`
    if "latitude" in changes or "longitude" in changes:
        row.latitude = changes.get("latitude", row.latitude)
        row.longitude = changes.get("longitude", row.longitude)
        row.located_at = now
        _link(session, row)
    row.updated_at = now
    session.flush()
    return row


def cancel(row: Subscription, now: datetime) -> None:
    if row.status == SubscriptionStatus.CANCELLED:
        return
    row.status, row.unsubscribed_at, row.next_billing_date, row.next_charge_at, row.updated_at = (
        SubscriptionStatus.CANCELLED, now, None, None, now,
    )  # fmt: skip


def cancel_subscription(session: Session, *, client: str, msisdn: str, now: datetime) -> None:
    cancel(get_subscription(session, client=client, msisdn=msisdn), now)
    session.flush()


def _listed(client: str, filters: dict[str, Any]) -> Select[Any]:
    query = select(Subscription, ForecastPoint.gid).outerjoin(
        ForecastPoint,
        ForecastPoint.id == Subscription.forecast_id,  # type: ignore[arg-type]
    )
    query = query.where(Subscription.client == client)  # type: ignore[arg-type]
    for name in ("status", "plan", "msisdn"):
        if filters.get(name) is not None:
            query = query.where(getattr(Subscription, name) == filters[name])
    return query


def list_subscriptions(
    session: Session, *, client: str, filters: dict[str, Any], offset: int, limit: int
) -> list[SubscriptionSummary]:
    query = _listed(client, filters).order_by(Subscription.id).offset(offset).limit(limit)  # type: ignore[arg-type]
    return [summary(row, gid) for row, gid in session.execute(query)]


def count_subscriptions(session: Session, *, client: str, filters: dict[str, Any]) -> int:
    return session.execute(select(func.count()).select_from(_listed(client, filters).subquery())).scalar_one()


def summary(row: Subscription, gid: str | None) -> SubscriptionSummary:
    return SubscriptionSummary.model_validate({**row.model_dump(), "plan": Plan(row.plan), "forecast_gid": gid})


def public(session: Session, row: Subscription) -> SubscriptionPublic:
    point = session.get(ForecastPoint, row.forecast_id) if row.forecast_id is not None else None
    charges: Sequence[BillingAttempt] = (
        session.execute(
            select(BillingAttempt)
            .where(BillingAttempt.subscription_id == row.id)  # type: ignore[arg-type]
            .order_by(BillingAttempt.at.desc(), BillingAttempt.id.desc())  # type: ignore[attr-defined, union-attr]
            .limit(HISTORY)
        )
        .scalars()
        .all()
    )
    messages: Sequence[SmsMessage] = (
        session.execute(
            select(SmsMessage)
            .where(SmsMessage.subscription_id == row.id)  # type: ignore[arg-type]
            .order_by(SmsMessage.day.desc())  # type: ignore[attr-defined]
            .limit(HISTORY)
        )
        .scalars()
        .all()
    )
    return SubscriptionPublic(
        **summary(row, point.gid if point else None).model_dump(),
        billing=[BillingPublic.model_validate(c, from_attributes=True) for c in reversed(charges)],
        sms=[SmsPublic.model_validate(m, from_attributes=True) for m in reversed(messages)],
    )
