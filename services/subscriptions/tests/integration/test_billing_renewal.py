"""Billing that renews (issue 9, acceptance 1), on SQLite and PostgreSQL, through the worker's own
schedule and job on a fake clock, against the sandbox's billing provider over HTTP: a subscriber is
charged when added and at each renewal in the client's time zone; declines are retried with backoff
inside the period, then the subscription is cancelled and the event published; a charge whose
answer was lost is sent again with its key and charged once."""

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlmodel import Session

from subscriptions.billing_events import BILLING_CHARGED, SUBSCRIPTION_CANCELLED
from subscriptions.billing_schedule import BILLING_EVERY
from subscriptions.models import BillingAttempt, Subscription

from .billing_harness import BillingProvider, LossyProxy, Worker, billing, billing_sandbox, lossy_billing, worker

__all__ = ["billing", "billing_sandbox", "lossy_billing", "worker"]  # fixtures, used by name

AUCKLAND = "Pacific/Auckland"  # UTC+13 in March: its date is a day ahead of UTC's in the afternoon
DAILY = {"msisdn": "6421000001", "plan": "daily", "latitude": -36.85, "longitude": 174.76}
WEEKLY = {"msisdn": "6421000002", "plan": "21", "latitude": -36.85, "longitude": 174.76}


def subscribe(api: Any, *bodies: dict[str, Any], local: datetime) -> None:
    """The client on Auckland time; the clock at `local` (Auckland); the subscriptions added."""
    api.clock.set(local.replace(tzinfo=ZoneInfo(AUCKLAND)).astimezone(UTC))
    assert api.put("/subscriptions/settings", {"timezone": AUCKLAND}).status_code == 200
    for body in bodies:
        api.created("/subscriptions/subscriptions", body)


def attempts(api: Any, msisdn: str) -> list[BillingAttempt]:
    with Session(api.engine) as session:
        query = (
            select(BillingAttempt)
            .join(Subscription, Subscription.id == BillingAttempt.subscription_id)
            .where(Subscription.msisdn == msisdn)
            .order_by(BillingAttempt.id)
        )
        return list(session.execute(query).scalars())


def subscription(api: Any, msisdn: str) -> Subscription:
    with Session(api.engine) as session:
        return session.execute(select(Subscription).where(Subscription.msisdn == msisdn)).scalar_one()


async def test_billed_when_added_and_at_each_renewal_over_15_days(
    api: Any, worker: Worker, billing: BillingProvider
) -> None:
    # 03:00 on 3 March in Auckland is still 2 March in UTC: the local date is the one billed.
    subscribe(api, DAILY, WEEKLY, local=datetime(2026, 3, 3, 3, 0))
    for _ in range(15):
        await worker.step()
        api.clock.advance(timedelta(days=1))
    charged = billing.charged()
    assert (charged.count(DAILY["msisdn"]), charged.count(WEEKLY["msisdn"])) == (15, 3)
    keys = [item["idempotency_key"] for item in billing.received()]
    assert len(set(keys)) == len(keys) == 18
    events = worker.of_type(BILLING_CHARGED)
    daily = [event["billing_date"] for event in events if event["msisdn"] == DAILY["msisdn"]]
    weekly = [(event["billing_date"], event["paid_until"]) for event in events if event["msisdn"] == WEEKLY["msisdn"]]
    assert daily == [(date(2026, 3, 3) + timedelta(days=n)).isoformat() for n in range(15)]
    assert weekly == [("2026-03-03", "2026-03-09"), ("2026-03-10", "2026-03-16"), ("2026-03-17", "2026-03-23")]
    shown = api.get(f"/subscriptions/subscriptions/{DAILY['msisdn']}").json()
    assert (shown["status"], shown["next_billing_date"]) == ("active", "2026-03-18")
    assert [(charge["status"], charge["attempt"]) for charge in shown["billing"]] == [("success", 1)] * 15
    assert api.get(f"/subscriptions/subscriptions/{WEEKLY['msisdn']}").json()["next_billing_date"] == "2026-03-24"


async def test_declined_until_the_limit_inside_the_day_then_cancelled_and_published(
    api: Any, worker: Worker, billing: BillingProvider
) -> None:
    billing.behave(failure_rate=1)
    subscribe(api, DAILY, local=datetime(2026, 3, 3, 20, 0))  # four hours left in its day for five tries
    await worker.step()
    while (row := subscription(api, DAILY["msisdn"])).status != "cancelled":
        assert row.status == "unpaid" and row.next_charge_at is not None
        api.clock.set(row.next_charge_at + BILLING_EVERY)  # the schedule's next slot after it
        await worker.step()
    tried = attempts(api, DAILY["msisdn"])
    assert [(t.attempt, t.status, t.billing_date) for t in tried] == [
        (n, "failure", date(2026, 3, 3)) for n in range(1, 6)
    ]
    local_times = [t.at.astimezone(ZoneInfo(AUCKLAND)) for t in tried]
    assert all(at.date() == date(2026, 3, 3) for at in local_times)  # the retries fit inside the day
    gaps = [later - earlier for earlier, later in pairwise(local_times)]
    assert timedelta(minutes=5) <= gaps[0] <= timedelta(minutes=5) + BILLING_EVERY  # the schedule's first wait
    assert all(gap > BILLING_EVERY for gap in gaps)
    assert [event["msisdn"] for event in worker.of_type(SUBSCRIPTION_CANCELLED)] == [DAILY["msisdn"]]
    cancelled = worker.of_type(SUBSCRIPTION_CANCELLED)[0]
    assert (cancelled["reason"], cancelled["failed_attempts"], cancelled["billing_date"]) == (
        "billing_failed",
        5,
        "2026-03-03",
    )
    shown = api.get(f"/subscriptions/subscriptions/{DAILY['msisdn']}").json()
    assert shown["status"] == "cancelled" and shown["next_billing_date"] is None
    assert [charge["attempt"] for charge in shown["billing"]] == [1, 2, 3, 4, 5]
    billing.behave()
    api.clock.advance(timedelta(days=1))
    await worker.step()
    assert len(billing.received()) == 5 and worker.of_type(BILLING_CHARGED) == []


async def test_a_declined_charge_is_retried_after_its_backoff_and_then_paid(
    api: Any, worker: Worker, billing: BillingProvider
) -> None:
    billing.behave(failure_rate=1)
    subscribe(api, WEEKLY, local=datetime(2026, 3, 3, 9, 0))
    await worker.step()
    row = subscription(api, WEEKLY["msisdn"])
    assert (row.status, row.failed_attempts) == ("unpaid", 1)
    billing.behave()
    api.clock.advance(timedelta(minutes=4))
    await worker.step()
    assert len(billing.received()) == 1  # its backoff (5 minutes) has not passed
    api.clock.advance(timedelta(minutes=1))
    await worker.step()
    row = subscription(api, WEEKLY["msisdn"])
    assert (row.status, row.failed_attempts, row.paid_until, row.next_billing_date) == (
        "active",
        0,
        date(2026, 3, 9),
        date(2026, 3, 10),
    )
    assert [event["attempt"] for event in worker.of_type(BILLING_CHARGED)] == [2]


async def test_an_answer_lost_after_the_charge_is_sent_again_with_its_key_and_charged_once(
    api: Any, worker: Worker, billing: BillingProvider, lossy_billing: LossyProxy, monkeypatch: Any
) -> None:
    monkeypatch.setenv("SUBSCRIPTIONS_BILLING_TRANSPORT_ATTEMPTS", "1")  # the run gives up on the call
    lossy_billing.losing = 1
    subscribe(api, DAILY, local=datetime(2026, 3, 3, 9, 0))
    await worker.step()
    assert billing.charged() == [DAILY["msisdn"]]  # the provider charged; the service never heard
    [pending] = attempts(api, DAILY["msisdn"])
    assert pending.status == "pending" and pending.error and "ReadTimeout" in pending.error
    row = subscription(api, DAILY["msisdn"])
    assert row.status == "unpaid" and row.next_charge_at is not None
    api.clock.set(row.next_charge_at + BILLING_EVERY)  # its lease over: the key is sent again
    await worker.step()
    [paid] = attempts(api, DAILY["msisdn"])
    assert (paid.status, paid.idempotency_key) == ("success", pending.idempotency_key)
    assert lossy_billing.forwarded == 2 and billing.charged() == [DAILY["msisdn"]]
    assert len(worker.of_type(BILLING_CHARGED)) == 1
    assert subscription(api, DAILY["msisdn"]).next_billing_date == date(2026, 3, 4)


async def test_a_call_retried_after_a_timeout_is_charged_once(
    api: Any, worker: Worker, billing: BillingProvider, lossy_billing: LossyProxy
) -> None:
    lossy_billing.losing = 1  # the first try times out after the charge; tenacity tries again
    subscribe(api, DAILY, local=datetime(2026, 3, 3, 9, 0))
    await worker.step()
    [paid] = attempts(api, DAILY["msisdn"])
    assert paid.status == "success" and lossy_billing.forwarded >= 2  # more on a slow machine: still one charge
    assert billing.charged() == [DAILY["msisdn"]] and billing.stats()["accepted"] == 1


async def test_periods_that_ended_unpaid_while_billing_was_down_are_not_charged(
    api: Any, worker: Worker, billing: BillingProvider
) -> None:
    subscribe(api, DAILY, local=datetime(2026, 3, 3, 9, 0))
    await worker.step()
    api.clock.advance(timedelta(days=4))  # no run on 4, 5 and 6 March
    await worker.step()
    dates = [event["billing_date"] for event in worker.of_type(BILLING_CHARGED)]
    assert dates == ["2026-03-03", "2026-03-07"]
    assert worker.jobs()[-1]["result"]["lapsed"] == 1
