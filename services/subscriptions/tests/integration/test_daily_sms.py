"""The daily SMS (issue 9, Build 4, Acceptance 2) on SQLite and PostgreSQL: three days on a fake clock
through the worker's schedule, its job and the sandbox's three gateways over HTTP, with `srv1` down
and `srv2` failing half its requests; the receipts come back through the real gateway's public path.
Each paid subscriber gets exactly one SMS a day, every receipt is recorded, an unpaid or cancelled
subscriber gets none, and a day not paid gets none (nor a subscription cancelled after its message
was recorded)."""

from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from quintet_shared.db import session_scope
from subscriptions.config import Settings
from subscriptions.models import SmsMessage
from subscriptions.sms_daily import record_day
from subscriptions.sms_delivery import NOT_PAID, deliver
from subscriptions.sms_schedule import DAY_JOB

from .sms_fixtures import SmsStack, Worker, make_paid

NAIROBI = {"gid": "00042", "latitude": -1.2921, "longitude": 36.8219, "fcat24": "sunny", "fcat48": "rain"}
MOMBASA = {"gid": "042", "latitude": -4.0435, "longitude": 39.6682, "fcat24": "hot", "fcat48": "humid"}
PAID = [f"2547000001{n:02d}" for n in range(24)]
PAID_DAY_ONE = "254700000200"  # its period ends on the first day
UNPAID = "254700000300"
CANCELLED = "254700000400"
DAY_ONE = date(2026, 3, 2)


def subscribe(api: Any, msisdn: str, near: dict[str, Any]) -> None:
    body = {"msisdn": msisdn, "plan": "daily", "latitude": near["latitude"] + 0.01, "longitude": near["longitude"]}
    api.created("/subscriptions/subscriptions", body)


def messages(stack: SmsStack) -> list[SmsMessage]:
    with Session(stack.engine) as session:
        return list(session.execute(select(SmsMessage).order_by(SmsMessage.id)).scalars())


async def test_three_days_each_paid_subscriber_gets_one_sms_a_day_through_failing_gateways(
    sms_stack: SmsStack, worker: Worker
) -> None:
    api, sms, clock = sms_stack.api, sms_stack.sms, sms_stack.clock
    assert api.put("/subscriptions/settings", {"timezone": "Africa/Nairobi", "sms_local_time": "09:00"}).is_success
    api.created("/subscriptions/forecasts", NAIROBI)
    api.created("/subscriptions/forecasts", MOMBASA)
    for n, msisdn in enumerate([*PAID, PAID_DAY_ONE, UNPAID, CANCELLED]):
        subscribe(api, msisdn, NAIROBI if n % 2 else MOMBASA)
    make_paid(sms_stack.engine, [*PAID, CANCELLED], DAY_ONE + timedelta(days=30))
    make_paid(sms_stack.engine, [PAID_DAY_ONE], DAY_ONE)
    assert api.delete(f"/subscriptions/subscriptions/{CANCELLED}").status_code == 204
    sms.behave("srv1", down=True)
    sms.behave("srv2", failure_rate=0.5, seed=7)

    clock.set(datetime.fromisoformat("2026-03-02T05:30:00+00:00"))  # 08:30 in Nairobi: not yet
    await worker.step()
    assert messages(sms_stack) == [] and worker.jobs(DAY_JOB) == []

    for day in range(3):
        local_nine = datetime.fromisoformat("2026-03-02T06:00:00+00:00") + timedelta(days=day)
        clock.set(local_nine + timedelta(minutes=1))
        await worker.step()
        await sms.callbacks_done()
        clock.set(local_nine + timedelta(hours=3))  # later that day: nothing more is sent
        await worker.step()
        await sms.callbacks_done()

    received = sms.received()
    per_msisdn = Counter(item["msisdn"] for item in received)
    assert per_msisdn == {**dict.fromkeys(PAID, 3), PAID_DAY_ONE: 1}
    assert {item["gateway"] for item in received} == {"srv2", "srv3"}
    assert len({item["msgid"] for item in received}) == len(received) == 3 * len(PAID) + 1
    assert sms.stats("srv2")["failed"] > 0 and sms.stats("srv1")["received"] == 0  # srv1 refused connections
    assert sms.callbacks() == {"pending": 0, "done": len(received), "failed": 0, "dropped": 0}
    texts = {item["text"] for item in received}
    assert texts == {"fcat24: sunny, fcat48: rain", "fcat24: hot, fcat48: humid"}
    assert all(item["callback"].startswith(f"{sms_stack.gateway_url}/subscriptions/public/sms/") for item in received)

    rows = messages(sms_stack)
    assert len(rows) == len(received)
    assert all(row.status == "delivered" and row.delivered_at and row.sent_at for row in rows)
    assert Counter(row.day for row in rows) == {
        DAY_ONE: len(PAID) + 1,
        DAY_ONE + timedelta(days=1): len(PAID),
        DAY_ONE + timedelta(days=2): len(PAID),
    }
    assert [(job["kind"], job["status"]) for job in worker.jobs(DAY_JOB)] == [("sms_day", "SUCCESS")] * 3

    shown = api.get(f"/subscriptions/subscriptions/{PAID[0]}").json()["sms"]
    assert [(item["status"], item["gateway"] in ("srv2", "srv3")) for item in shown] == [("delivered", True)] * 3
    assert api.get(f"/subscriptions/subscriptions/{UNPAID}").json()["sms"] == []
    assert api.get(f"/subscriptions/subscriptions/{CANCELLED}").json()["sms"] == []

    figures = {item["gateway"]: item for item in api.get("/subscriptions/sms/gateways").json()["gateways"]}
    assert figures["srv1"]["sent"] == 0
    assert figures["srv2"]["sent"] + figures["srv3"]["sent"] == len(received)
    assert figures["srv2"]["delivered"] + figures["srv3"]["delivered"] == len(received)
    assert figures["srv3"]["median_delivery_seconds"] is not None
    one_day = api.get("/subscriptions/sms/gateways?day=2026-03-03").json()
    assert sum(item["delivered"] for item in one_day["gateways"]) == len(PAID)


async def test_a_subscription_cancelled_between_recording_and_sending_gets_nothing(sms_stack: SmsStack) -> None:
    api = sms_stack.api
    api.created("/subscriptions/forecasts", NAIROBI)
    for msisdn in PAID[:3]:
        subscribe(api, msisdn, NAIROBI)
    make_paid(sms_stack.engine, PAID[:3], DAY_ONE)
    with session_scope(sms_stack.engine) as session:
        assert record_day(session, client="iska", day=DAY_ONE, now=sms_stack.clock()).recorded == 3
    assert api.delete(f"/subscriptions/subscriptions/{PAID[0]}").status_code == 204
    make_paid(sms_stack.engine, [PAID[1]], DAY_ONE - timedelta(days=1))  # its period no longer covers the day
    counts = await deliver(sms_stack.engine, Settings(), client="iska", clock=sms_stack.clock, day=DAY_ONE)
    assert (counts.accepted, counts.failed) == (1, 0)
    await sms_stack.sms.callbacks_done()
    assert [item["msisdn"] for item in sms_stack.sms.received()] == [PAID[2]]
    assert sorted((row.status, row.last_error) for row in messages(sms_stack)) == [
        ("delivered", None),
        ("failed", NOT_PAID),
        ("failed", NOT_PAID),
    ]
