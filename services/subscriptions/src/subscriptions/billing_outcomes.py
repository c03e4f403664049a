"""Recording the provider's answers (models.py's design), in the caller's transaction.

Each answer is two conditional UPDATEs: the attempt's `pending → success | failure` (so an answer
recorded twice, by two runs that sent one key, counts and publishes once), then the subscription's,
`WHERE period = P AND next_billing_date = D` and not cancelled (so two workers cannot both advance a
date, and a subscription cancelled or added again meanwhile keeps what it has now):
- success: active, `plan_paid`, `paid_until = D + days - 1`, `next_billing_date = D + days`, no
  failures; `subscriptions.billing.charged` published.
- failure: unpaid, `failed_attempts = n`, next try after the backoff; at the limit cancelled and
  `subscriptions.subscription.cancelled` published.
- unknown: the attempt stays pending with its error; its lease decides when its key is sent again.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import ColumnElement, and_, update
from sqlmodel import Session, col

from quintet_shared.envelope import Envelope
from quintet_shared.outbox import add_events
from subscriptions.billing_claims import Claim
from subscriptions.billing_events import (
    BILLING_CHARGED,
    SUBSCRIPTION_CANCELLED,
    BillingCharged,
    SubscriptionCancelled,
)
from subscriptions.billing_policy import period_end, retry_wait
from subscriptions.billing_provider import Answer, Outcome
from subscriptions.config import Settings
from subscriptions.models import BillingAttempt, ChargeStatus, Subscription, SubscriptionStatus

SOURCE = "subscriptions"
BILLING_FAILED = "billing_failed"
DECLINED = "declined by the billing provider"


@dataclass
class Recorded:
    charged: int = 0
    declined: int = 0  # to be tried again after a backoff
    cancelled: int = 0  # declined for the last time
    unanswered: int = 0  # no definite answer: pending, sent again after the lease

    def add(self, other: "Recorded") -> None:
        self.charged += other.charged
        self.declined += other.declined
        self.cancelled += other.cancelled
        self.unanswered += other.unanswered


def record_answers(
    session: Session,
    answered: Sequence[tuple[Claim, Answer]],
    *,
    client: str,
    timezone: str,
    now: datetime,
    settings: Settings,
) -> Recorded:
    recorded = Recorded()
    events: list[Envelope] = []
    for claim, answer in answered:
        if answer.outcome is Outcome.UNKNOWN:
            _finish(session, claim, error=answer.error, status=None, now=now)
            recorded.unanswered += 1
        elif answer.outcome is Outcome.SUCCESS:
            if _finish(session, claim, error=None, status=ChargeStatus.SUCCESS, now=now):
                recorded.charged += 1
                events.append(_charged(session, claim, client=client, now=now))
        elif _finish(session, claim, error=DECLINED, status=ChargeStatus.FAILURE, now=now):
            if claim.attempt >= settings.billing_max_attempts:
                if _cancel(session, claim, now=now):
                    recorded.cancelled += 1
                    events.append(_cancelled(claim, client=client, now=now))
            else:
                ends_at = period_end(claim.billing_date, claim.plan.days, timezone)
                wait = retry_wait(
                    settings.billing_retry_seconds,
                    failures=claim.attempt,
                    max_attempts=settings.billing_max_attempts,
                    now=now,
                    ends_at=ends_at,
                )
                _decline(session, claim, now=now, retry_at=now + wait)
                recorded.declined += 1
    add_events(session, events)
    return recorded


def _finish(session: Session, claim: Claim, *, error: str | None, status: ChargeStatus | None, now: datetime) -> bool:
    """The attempt's answer, if it is still pending; whether this call recorded it."""
    values: dict[str, Any] = {"error": error[:500] if error else None}
    if status is not None:
        values.update(status=status.value, finished_at=now)
    return _changed(
        session,
        update(BillingAttempt)
        .where(col(BillingAttempt.id) == claim.attempt_id, col(BillingAttempt.status) == ChargeStatus.PENDING.value)
        .values(**values),
    )


def _current(claim: Claim) -> ColumnElement[bool]:
    """The subscription is still at the claim's period and billing date, and not cancelled."""
    return and_(
        col(Subscription.id) == claim.subscription_id,
        col(Subscription.period) == claim.period,
        col(Subscription.next_billing_date) == claim.billing_date,
        col(Subscription.status) != SubscriptionStatus.CANCELLED.value,
    )


def _charged(session: Session, claim: Claim, *, client: str, now: datetime) -> Envelope:
    days = claim.plan.days
    paid_until = claim.billing_date + timedelta(days=days - 1)
    _changed(
        session,
        update(Subscription)
        .where(_current(claim))
        .values(
            status=SubscriptionStatus.ACTIVE.value,
            plan_paid=claim.plan.value,
            paid_until=paid_until,
            next_billing_date=claim.billing_date + timedelta(days=days),
            failed_attempts=0,
            next_charge_at=None,
            updated_at=now,
        ),
    )
    # Published whether or not the subscription moved (cancelled meanwhile): the charge happened.
    data = BillingCharged(
        msisdn=claim.msisdn,
        plan=claim.plan,
        period=claim.period,
        billing_date=claim.billing_date,
        paid_until=paid_until,
        attempt=claim.attempt,
        idempotency_key=claim.key,
        charged_at=now,
    )
    return _event(BILLING_CHARGED, data, client=client, now=now)


def _decline(session: Session, claim: Claim, *, now: datetime, retry_at: datetime) -> None:
    _changed(
        session,
        update(Subscription)
        .where(_current(claim))
        .values(
            status=SubscriptionStatus.UNPAID.value,
            failed_attempts=claim.attempt,
            next_charge_at=retry_at,
            updated_at=now,
        ),
    )


def _cancel(session: Session, claim: Claim, *, now: datetime) -> bool:
    return _changed(
        session,
        update(Subscription)
        .where(_current(claim))
        .values(
            status=SubscriptionStatus.CANCELLED.value,
            failed_attempts=claim.attempt,
            unsubscribed_at=now,
            next_billing_date=None,
            next_charge_at=None,
            updated_at=now,
        ),
    )


def _cancelled(claim: Claim, *, client: str, now: datetime) -> Envelope:
    data = SubscriptionCancelled(
        msisdn=claim.msisdn,
        plan=claim.plan,
        period=claim.period,
        reason=BILLING_FAILED,
        failed_attempts=claim.attempt,
        billing_date=claim.billing_date,
        cancelled_at=now,
    )
    return _event(SUBSCRIPTION_CANCELLED, data, client=client, now=now)


def _event(type: str, data: BaseModel, *, client: str, now: datetime) -> Envelope:
    return Envelope.new(type=type, source=SOURCE, client=client, data=data, time=now)


def _changed(session: Session, statement: Any) -> bool:
    result: Any = session.execute(statement.execution_options(synchronize_session=False))
    return bool(result.rowcount == 1)
