"""Taking the charges due on a local date, and recording each attempt before its call (models.py).

- `lapse_ended_periods`: a billing date whose whole period is over by the run's date (downtime, a
  catch-up run for a later date) moves to the renewal date of the period the run's date falls in;
  the periods in between are not charged (no SMS went for them). One with an attempt still pending
  is left until that attempt has its answer (it may have charged).
- `claim_due`: one chunk of due subscriptions, claimed with one conditional UPDATE of
  `next_charge_at` (to the end of a lease; on PostgreSQL `FOR UPDATE SKIP LOCKED`, so runs at once
  split the work) and, for each, the attempt to send: a pending one again with its own key, else a
  new one (n + 1 after n declined) recorded `pending` in the same transaction, so that the key
  exists before the provider ever sees it.
"""

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, select, tuple_, update
from sqlmodel import Session, col

from subscriptions.billing_policy import idempotency_key, renewal_on
from subscriptions.models import BillingAttempt, ChargeStatus, Plan, Subscription, SubscriptionStatus

log = logging.getLogger(__name__)

BILLED = (SubscriptionStatus.ACTIVE.value, SubscriptionStatus.UNPAID.value)
PENDING = ChargeStatus.PENDING.value


@dataclass(frozen=True, slots=True)
class Claim:
    """One call to make: the attempt (already recorded) and what the provider is sent."""

    attempt_id: int
    subscription_id: int
    msisdn: str
    plan: Plan  # the plan this attempt charges (the subscription's may change meanwhile)
    period: int
    billing_date: date
    attempt: int
    key: str
    resent: bool  # a pending attempt sent again with its key


def _due(client: str, day: date, now: datetime) -> ColumnElement[bool]:
    return and_(
        col(Subscription.client) == client,
        col(Subscription.status).in_(BILLED),
        col(Subscription.next_billing_date) <= day,
        or_(col(Subscription.next_charge_at).is_(None), col(Subscription.next_charge_at) <= now),
    )


def _pending_attempt() -> ColumnElement[bool]:
    return exists().where(
        col(BillingAttempt.subscription_id) == col(Subscription.id),
        col(BillingAttempt.period) == col(Subscription.period),
        col(BillingAttempt.billing_date) == col(Subscription.next_billing_date),
        col(BillingAttempt.status) == PENDING,
    )


def lapse_ended_periods(session: Session, *, client: str, day: date, now: datetime) -> int:
    """Move the billing dates whose period ended before `day` to the renewal date `day` falls in
    (failed attempts start again at 0: they count per billing date); how many moved. One UPDATE per
    (plan, date): there are few after an outage, however many subscriptions."""
    moved = 0
    for plan in Plan:
        last_ended = day - timedelta(days=plan.days)  # a billing date on or before it has its period over
        lapsed = and_(
            _due(client, day, now),
            col(Subscription.plan) == plan.value,
            col(Subscription.next_billing_date) <= last_ended,
            ~_pending_attempt(),
        )
        dates = session.execute(select(col(Subscription.next_billing_date)).where(lapsed).distinct()).scalars().all()
        for billing_date in dates:
            assert billing_date is not None
            result: Any = session.execute(
                update(Subscription)
                .where(lapsed, col(Subscription.next_billing_date) == billing_date)
                .values(next_billing_date=renewal_on(billing_date, plan.days, day), failed_attempts=0)
                .execution_options(synchronize_session=False)
            )
            moved += max(result.rowcount, 0)
    return moved


@dataclass(frozen=True, slots=True)
class Chunk:
    claims: list[Claim]  # by subscription id
    last_id: int | None  # the highest subscription id claimed; None: nothing was due


def claim_due(
    session: Session, *, client: str, day: date, now: datetime, lease_until: datetime, after: int, limit: int
) -> Chunk:
    """Claim up to `limit` due subscriptions with ids above `after` (each once per run) and record
    the attempt each is to send. Part of the caller's transaction, which must commit before any call
    is made."""
    due = _due(client, day, now)
    ids = (
        select(col(Subscription.id))
        .where(due, col(Subscription.id) > after)
        .order_by(col(Subscription.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = session.execute(
        update(Subscription)
        .where(col(Subscription.id).in_(ids.scalar_subquery()), due)
        .values(next_charge_at=lease_until)
        .returning(
            col(Subscription.id),
            col(Subscription.msisdn),
            col(Subscription.plan),
            col(Subscription.period),
            col(Subscription.next_billing_date),
        )
        .execution_options(synchronize_session=False)
    ).all()
    if not rows:
        return Chunk([], None)
    latest = _latest_attempts(session, [(row.id, row.period, row.next_billing_date) for row in rows])
    chosen: list[tuple[BillingAttempt, str, bool]] = []
    for row in sorted(rows, key=lambda row: row.id):
        found = latest.get(row.id)
        if found is not None and found.status == ChargeStatus.SUCCESS:
            # Cannot happen: a success and its subscription's update commit together (billing_outcomes).
            log.error("subscription %s has a recorded success for %s yet is due again", row.id, found.billing_date)
        elif found is not None and found.status == ChargeStatus.PENDING:
            chosen.append((found, row.msisdn, True))
        else:
            chosen.append((_new_attempt(session, row, found, client=client, now=now), row.msisdn, False))
    session.flush()  # the new attempts' ids, and their keys taken before any call
    return Chunk([_claim(attempt, msisdn, resent) for attempt, msisdn, resent in chosen], max(row.id for row in rows))


def count_waiting(session: Session, *, client: str, day: date, now: datetime) -> int:
    """Subscriptions due by `day` whose next try is later: a backoff, or a call in flight elsewhere."""
    query = select(func.count()).where(
        col(Subscription.client) == client,
        col(Subscription.status).in_(BILLED),
        col(Subscription.next_billing_date) <= day,
        col(Subscription.next_charge_at) > now,
    )
    return session.execute(query).scalar_one()


def _latest_attempts(session: Session, keys: list[tuple[int, int, date | None]]) -> dict[int, BillingAttempt]:
    """Each subscription's latest attempt for its current (period, billing date), if any."""
    found = session.execute(
        select(BillingAttempt).where(
            tuple_(
                col(BillingAttempt.subscription_id), col(BillingAttempt.period), col(BillingAttempt.billing_date)
            ).in_(keys)
        )
    ).scalars()
    latest: dict[int, BillingAttempt] = {}
    for attempt in found:
        known = latest.get(attempt.subscription_id)
        if known is None or attempt.attempt > known.attempt:
            latest[attempt.subscription_id] = attempt
    return latest


def _new_attempt(
    session: Session, row: Any, previous: BillingAttempt | None, *, client: str, now: datetime
) -> BillingAttempt:
    """Attempt n + 1 after n declined (1 for a billing date not tried yet), recorded `pending`."""
    number = 1 if previous is None else previous.attempt + 1
    attempt = BillingAttempt(
        client=client,
        subscription_id=row.id,
        period=row.period,
        billing_date=row.next_billing_date,
        attempt=number,
        plan=Plan(row.plan),
        idempotency_key=idempotency_key(row.id, row.period, row.next_billing_date, number),
        status=ChargeStatus.PENDING,
        at=now,
    )
    session.add(attempt)
    return attempt


def _claim(attempt: BillingAttempt, msisdn: str, resent: bool) -> Claim:
    assert attempt.id is not None
    return Claim(
        attempt_id=attempt.id,
        subscription_id=attempt.subscription_id,
        msisdn=msisdn,
        plan=Plan(attempt.plan),
        period=attempt.period,
        billing_date=attempt.billing_date,
        attempt=attempt.attempt,
        key=attempt.idempotency_key,
        resent=resent,
    )
