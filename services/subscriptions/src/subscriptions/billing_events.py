"""Payloads of the billing events the subscriptions service publishes (it owns these contracts).

Both are written to the outbox in the transaction that records the provider's answer, once per
attempt (the attempt's pending → success/failure update is conditional).
"""

from datetime import date, datetime

from pydantic import BaseModel, Field

from subscriptions.models import Plan

BILLING_CHARGED = "subscriptions.billing.charged"
SUBSCRIPTION_CANCELLED = "subscriptions.subscription.cancelled"


class BillingCharged(BaseModel):
    """`subscriptions.billing.charged`: the provider charged a subscription for one period."""

    msisdn: str
    plan: Plan = Field(description="The plan charged (`daily` or `weekly`)")
    period: int = Field(description="The subscription period (1, then +1 each time it is added again)")
    billing_date: date = Field(description="The client's local date the paid period starts on")
    paid_until: date = Field(description="The last local date it covers")
    attempt: int = Field(description="Which attempt of this billing date succeeded (1 = the first)")
    idempotency_key: str
    charged_at: datetime


class SubscriptionCancelled(BaseModel):
    """`subscriptions.subscription.cancelled`: a subscription was cancelled; `reason` says why
    (`billing_failed`: its charge was declined `SUBSCRIPTIONS_BILLING_MAX_ATTEMPTS` times)."""

    msisdn: str
    plan: Plan
    period: int
    reason: str
    failed_attempts: int
    billing_date: date | None = Field(description="The local date whose charge failed, for `billing_failed`")
    cancelled_at: datetime
