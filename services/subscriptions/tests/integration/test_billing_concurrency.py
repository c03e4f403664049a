"""Billing runs at once (two worker replicas, the operator's command beside the worker), on both
databases: each due subscription is claimed by one run, charged once, its date advanced once."""

import asyncio
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from quintet_shared.tables import outbox_message
from subscriptions.billing_events import BILLING_CHARGED
from subscriptions.billing_run import run_billing
from subscriptions.config import Settings
from subscriptions.models import BillingAttempt, Subscription

from .billing_harness import BillingProvider, billing, billing_sandbox

__all__ = ["billing", "billing_sandbox"]  # fixtures, used by name

SUBSCRIBERS = [f"2547{n:08d}" for n in range(60)]


async def test_runs_at_once_charge_each_subscription_once(api: Any, billing: BillingProvider) -> None:
    for msisdn in SUBSCRIBERS:
        api.created("/subscriptions/subscriptions", {"msisdn": msisdn, "plan": "daily", "latitude": 0, "longitude": 0})
    billing.behave(latency_ms=5)  # calls overlap
    settings = Settings(billing_concurrency=4)
    # Small chunks, so that the runs' claims interleave.
    runs = [run_billing(api.engine, settings, client="iska", clock=api.clock, chunk=7) for _ in range(3)]
    summaries = await asyncio.gather(*runs)
    assert sum(summary.recorded.charged for summary in summaries) == len(SUBSCRIBERS)
    assert sorted(billing.charged()) == SUBSCRIBERS
    with Session(api.engine) as session:
        dates = session.execute(select(Subscription.next_billing_date).distinct()).scalars().all()
        tried = session.execute(select(func.count()).select_from(BillingAttempt)).scalar_one()
        published = session.execute(select(func.count()).where(outbox_message.c.type == BILLING_CHARGED)).scalar_one()
    assert [day.isoformat() for day in dates] == ["2026-03-03"]
    assert tried == published == len(SUBSCRIBERS)
