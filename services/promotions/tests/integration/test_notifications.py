"""A promo's notification run (Build 4, Acceptance 3), on SQLite and PostgreSQL, through the worker's
scheduler, relay and job runner on a fake clock, pushing to the sandbox's real push provider."""

import asyncio
import random
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlmodel import Session

from promotions.config import Settings
from promotions.eligibility import eligible_profiles
from promotions.models import Notification
from promotions.notifications import SEND_LEASE, record_run
from promotions.notify_delivery import deliver
from promotions.notify_schedule import ENDED_ERROR
from quintet_shared.clock import FakeClock
from quintet_shared.geo import destination

from .conftest import Worker

ALMATY = (43.2380, 76.8829)  # the shop's store (conftest)
HOUR = timedelta(hours=1)


def put_profile(api: Any, user: str, at: tuple[float, float] | None, segments: list[str] | None = None) -> None:
    body: dict[str, Any] = {"email": f"{user}@example.com", "segments": ["New users"] if segments is None else segments}
    if at is not None:
        body["latitude"], body["longitude"] = at
    answer = api.put(f"/promotions/profiles/{user}", body)
    assert answer.status_code in (200, 201), answer.text


def near(km: float, bearing: float = 45) -> tuple[float, float]:
    return destination(*ALMATY, bearing, km)


def at(clock: FakeClock, delta: timedelta) -> str:
    return (clock.now + delta).isoformat()


def promo_at(api: Any, shop: dict[str, Any], clock: FakeClock, start: timedelta, **changes: Any) -> dict[str, Any]:
    """A "New users" promo within 2 km, from `start` (from now) for 3 hours."""
    body = {
        "product_id": shop["product"]["id"],
        "promo_price_cents": 59_900,
        "starts_at": at(clock, start),
        "ends_at": at(clock, start + 3 * HOUR),
        "segments": ["New users"],
        **changes,
    }
    return api.created("/promotions/promos", body)


def fired_a_run(fired: list[str]) -> bool:
    return any(name.startswith("promotions.promo.notify:") for name in fired)


def notifications(api: Any) -> list[Notification]:
    with Session(api.engine) as session:
        return list(session.execute(select(Notification).order_by(Notification.id)).scalars())


def stats(api: Any, promo_id: int) -> dict[str, int]:
    answer = api.get(f"/promotions/promos/{promo_id}/stats")
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_a_running_promo_notifies_its_eligible_users_at_once(
    api: Any, shop: dict[str, Any], push: Any, worker: Any, clock: FakeClock
) -> None:
    put_profile(api, "near", near(1))
    put_profile(api, "at-the-store", ALMATY)
    put_profile(api, "both-segments", near(1.5, 200), ["New users", "Frequent buyers"])
    put_profile(api, "too-far", near(2.5))
    put_profile(api, "other-segment", near(1), ["Frequent buyers"])
    put_profile(api, "no-segment", near(1), [])
    put_profile(api, "no-location", None)
    promo = promo_at(api, shop, clock, -HOUR)  # started an hour ago: runs at once

    await worker.step()

    assert push.users() == ["at-the-store", "both-segments", "near"]
    item = push.received()[0]
    assert item["client"] == "promos"
    assert item["title"] == "Flash promo: Headphones at Almaty Central"
    assert item["body"].startswith("599.00 KZT instead of 1,000.00 KZT, until 2026-03-02 ")
    assert item["body"].endswith("(Asia/Almaty)")
    data = {"promo_id": promo["id"], "product_id": shop["product"]["id"], "store_id": shop["store"]["id"]}
    assert data.items() <= item["data"].items()
    assert {row.status for row in notifications(api)} == {"sent"}
    assert [item["idempotency_key"] for item in push.received()] == [
        f"notification-{row.id}" for row in notifications(api)
    ]
    assert stats(api, promo["id"])["notified"] == 3
    started = [event for event in worker.events if event.type == "promotions.promo.started"]
    assert len(started) == 1 and started[0].client == "promos"
    assert started[0].data["promo_id"] == promo["id"] and started[0].data["eligible"] == 3
    assert started[0].data["product_name"] == "Headphones" and started[0].data["store_name"] == "Almaty Central"
    assert [job["kind"] for job in worker.jobs()] == ["promo_notifications"]
    assert worker.jobs()[0]["result"]["sent"] == 3

    await worker.step()  # nothing more to do: nothing sent twice
    assert len(push.received()) == 3


async def test_a_future_promo_runs_at_its_start_not_before(
    api: Any, shop: dict[str, Any], push: Any, worker: Any, clock: FakeClock
) -> None:
    put_profile(api, "near", near(1))
    promo = promo_at(api, shop, clock, HOUR)
    clock.advance(HOUR - timedelta(seconds=1))
    await worker.step()
    assert push.received() == [] and notifications(api) == []
    clock.advance(timedelta(seconds=1))
    assert fired_a_run(await worker.step())
    assert push.users() == ["near"]
    assert stats(api, promo["id"])["notified"] == 1


async def test_one_notification_a_local_day_and_again_the_next_day(
    api: Any, shop: dict[str, Any], push: Any, worker: Any, clock: FakeClock
) -> None:
    """Acceptance 3: a user eligible for two promos starting the same local day is notified once
    that day; the next day again."""
    put_profile(api, "near", near(1))
    first = promo_at(api, shop, clock, timedelta(0))
    second = promo_at(api, shop, clock, 2 * HOUR)  # 12:00 UTC, 17:00 in Almaty: the same local day
    next_day = promo_at(api, shop, clock, 24 * HOUR)
    await worker.step()
    clock.advance(2 * HOUR)
    await worker.step()
    assert [item["data"]["promo_id"] for item in push.received()] == [first["id"]]
    assert stats(api, second["id"])["notified"] == 0
    clock.advance(22 * HOUR)
    await worker.step()
    assert [item["data"]["promo_id"] for item in push.received()] == [first["id"], next_day["id"]]
    assert [(row.promo_id, row.day.isoformat()) for row in notifications(api)] == [
        (first["id"], "2026-03-02"),
        (next_day["id"], "2026-03-03"),
    ]


async def test_the_day_is_the_stores_local_day(
    api: Any, shop: dict[str, Any], push: Any, worker: Any, clock: FakeClock
) -> None:
    """At 20:00 UTC it is already the next day in Almaty (UTC+5 or +6): a promo at 17:00 UTC and one
    at 20:00 UTC fall on two local days, so both notify."""
    put_profile(api, "near", near(1))
    clock.set(clock.now.replace(hour=17))
    promo_at(api, shop, clock, timedelta(0))
    promo_at(api, shop, clock, 3 * HOUR)
    await worker.step()
    clock.advance(3 * HOUR)
    await worker.step()
    assert push.users() == ["near", "near"]
    assert [row.day.isoformat() for row in notifications(api)] == ["2026-03-02", "2026-03-03"]


async def test_a_promo_moved_earlier_notifies_at_the_new_time_once(
    api: Any, shop: dict[str, Any], push: Any, worker: Any, clock: FakeClock
) -> None:
    put_profile(api, "near", near(1))
    promo = promo_at(api, shop, clock, 2 * HOUR)
    assert api.patch(f"/promotions/promos/{promo['id']}", {"starts_at": at(clock, HOUR)}).status_code == 200
    clock.advance(HOUR)
    await worker.step()
    assert push.users() == ["near"]
    clock.advance(HOUR)  # the old time: its task fires and finds it is no longer the plan
    assert fired_a_run(await worker.step())
    assert push.users() == ["near"]
    assert [job["kind"] for job in worker.jobs()] == ["promo_notifications"]


async def test_a_promo_moved_later_is_not_notified_at_the_old_time(
    api: Any, shop: dict[str, Any], push: Any, worker: Any, clock: FakeClock
) -> None:
    put_profile(api, "near", near(1))
    promo = promo_at(api, shop, clock, HOUR)
    changes = {"starts_at": at(clock, 3 * HOUR), "ends_at": at(clock, 5 * HOUR)}
    assert api.patch(f"/promotions/promos/{promo['id']}", changes).status_code == 200
    clock.advance(HOUR)
    await worker.step()
    assert push.received() == []
    clock.advance(2 * HOUR)
    await worker.step()
    assert push.users() == ["near"]


async def test_a_promo_moved_away_and_back_runs_once(
    api: Any, shop: dict[str, Any], push: Any, worker: Any, clock: FakeClock
) -> None:
    put_profile(api, "near", near(1))
    promo = promo_at(api, shop, clock, HOUR)
    path = f"/promotions/promos/{promo['id']}"
    assert api.patch(path, {"starts_at": at(clock, 2 * HOUR)}).status_code == 200
    assert api.patch(path, {"starts_at": at(clock, HOUR)}).status_code == 200
    clock.advance(HOUR)
    await worker.step()
    clock.advance(HOUR)
    await worker.step()
    assert push.users() == ["near"]
    assert len([job for job in worker.jobs() if job["kind"] == "promo_notifications"]) == 1


async def test_deleted_and_deactivated_promos_are_not_notified(
    api: Any, shop: dict[str, Any], push: Any, worker: Any, clock: FakeClock
) -> None:
    put_profile(api, "near", near(1))
    deleted = promo_at(api, shop, clock, HOUR)
    deactivated = promo_at(api, shop, clock, HOUR)
    assert api.delete(f"/promotions/promos/{deleted['id']}").status_code == 204
    assert api.patch(f"/promotions/promos/{deactivated['id']}", {"active": False}).status_code == 200
    clock.advance(HOUR)
    await worker.step()
    assert push.received() == [] and worker.jobs() == []

    # Active again while on sale: it runs at once.
    assert api.patch(f"/promotions/promos/{deactivated['id']}", {"active": True}).status_code == 200
    await worker.step()
    assert push.users() == ["near"]


async def test_a_promo_deactivated_after_its_task_fired_sends_nothing(
    api: Any, shop: dict[str, Any], push: Any, worker: Any, clock: FakeClock
) -> None:
    put_profile(api, "near", near(1))
    promo = promo_at(api, shop, clock, timedelta(0))
    await asyncio.to_thread(worker.scheduler.tick)  # the run is queued, not yet run
    assert api.patch(f"/promotions/promos/{promo['id']}", {"active": False}).status_code == 200
    await worker.step()
    assert push.received() == [] and notifications(api) == []
    assert worker.jobs()[0]["result"] == {"promo_id": promo["id"], "on_sale": False, "recorded": 0}


async def test_an_edit_notifies_only_the_users_it_adds(
    api: Any, shop: dict[str, Any], push: Any, worker: Any, clock: FakeClock
) -> None:
    put_profile(api, "near", near(1))
    put_profile(api, "three-km", near(3))
    put_profile(api, "regular", near(1), ["Frequent buyers"])
    promo = promo_at(api, shop, clock, -HOUR)
    await worker.step()
    assert push.users() == ["near"]
    path = f"/promotions/promos/{promo['id']}"
    assert api.patch(path, {"promo_price_cents": 49_900}).status_code == 200  # not its audience: no run
    await worker.step()
    assert api.patch(path, {"radius_km": 5, "segments": ["New users", "Frequent buyers"]}).status_code == 200
    await worker.step()
    assert push.users() == ["near", "regular", "three-km"]
    started = [event for event in worker.events if event.type == "promotions.promo.started"]
    assert len(started) == 1  # published by the first run only
    assert [job["kind"] for job in worker.jobs()] == ["promo_notifications"] * 2


async def test_the_originals_distance_cases_and_zero_as_a_coordinate(
    api: Any, shop: dict[str, Any], push: Any, worker: Any, clock: FakeClock
) -> None:
    put_profile(api, "six-km", near(6, 30))
    put_profile(api, "at-the-store", ALMATY)
    put_profile(api, "no-location", None)
    promo_at(api, shop, clock, -HOUR, radius_km=10)
    promo_at(api, shop, clock, -HOUR, radius_km=5)
    await worker.step()
    assert push.users() == ["at-the-store", "six-km"]  # six-km from the 10 km promo only, at-the-store once
    by_user = {row.user: row.promo_id for row in notifications(api)}
    assert set(by_user) == {"six-km", "at-the-store"}

    store = api.created("/promotions/stores", {"name": "Null Island", "latitude": 0, "longitude": 0, "timezone": "UTC"})
    product = api.created(
        "/promotions/products",
        {"store_id": store["id"], "name": "Buoy", "regular_price_cents": 1_000, "currency": "USD"},
    )
    put_profile(api, "on-the-equator", (0, 0.01))
    put_profile(api, "at-zero-zero", (0, 0))
    put_profile(api, "far-on-the-equator", (0, 1))
    promo_at(api, {"product": product}, clock, -HOUR, promo_price_cents=500)
    await worker.step()
    assert push.users() == ["at-the-store", "at-zero-zero", "on-the-equator", "six-km"]


async def test_failed_sends_are_retried_later_and_never_delivered_twice(
    api: Any, shop: dict[str, Any], push: Any, worker: Any, clock: FakeClock, monkeypatch: Any
) -> None:
    monkeypatch.setenv("PROMOTIONS_PUSH_BATCH_SIZE", "5")
    users = [f"user-{n:02d}" for n in range(40)]
    for n, user in enumerate(users):
        put_profile(api, user, near(1, n * 9))
    push.behave(failure_rate=0.5, seed=7)
    promo = promo_at(api, shop, clock, timedelta(0))
    await worker.step()
    first = stats(api, promo["id"])["notified"]
    assert 0 < first < 40
    assert {row.status for row in notifications(api)} == {"sent", "pending"}
    assert all(row.attempts == 1 for row in notifications(api))
    retrying = [row for row in notifications(api) if row.status == "pending"]
    assert {row.last_error for row in retrying} == {"503 Service Unavailable"}
    assert {row.next_attempt_at for row in retrying} == {clock.now + timedelta(seconds=30)}

    await worker.step()  # not due yet
    assert stats(api, promo["id"])["notified"] == first
    push.behave()
    clock.advance(timedelta(seconds=30))
    assert "promotions.notifications.retry" in await worker.step()
    assert push.users() == users  # each exactly once
    assert stats(api, promo["id"])["notified"] == 40
    assert [job["kind"] for job in worker.jobs()] == ["promo_notifications", "notification_retries"]


async def test_a_provider_down_is_retried_with_backoff_then_given_up(
    api: Any, shop: dict[str, Any], push: Any, worker: Any, clock: FakeClock, monkeypatch: Any
) -> None:
    monkeypatch.setenv("PROMOTIONS_NOTIFY_ATTEMPTS", "3")
    put_profile(api, "near", near(1))
    put_profile(api, "later", near(1.2))
    push.behave(down=True)
    promo = promo_at(api, shop, clock, timedelta(0))
    await worker.step()
    clock.advance(timedelta(seconds=30))  # the first backoff
    await worker.step()
    rows = notifications(api)
    assert {(row.status, row.attempts) for row in rows} == {("pending", 2)}
    assert {row.next_attempt_at for row in rows} == {clock.now + timedelta(seconds=60)}  # doubled
    assert all((row.last_error or "").startswith("provider unreachable") for row in rows)
    clock.advance(timedelta(seconds=60))
    await worker.step()
    assert {(row.status, row.attempts, row.next_attempt_at) for row in notifications(api)} == {("failed", 3, None)}
    push.behave()
    clock.advance(HOUR)
    await worker.step()
    assert push.received() == [] and stats(api, promo["id"])["notified"] == 0


async def test_a_send_whose_outcome_was_never_recorded_is_sent_again_and_delivered_once(
    api: Any, shop: dict[str, Any], push: Any, worker: Any, clock: FakeClock
) -> None:
    """A worker that died after the provider accepted the messages, before it recorded that: the rows
    are still pending with the round counted, and come due when the claim's lease is over. Sent
    again with the same idempotency keys, the provider lists each once."""
    for user in ("ann", "bob", "cid"):
        put_profile(api, user, near(1))
    promo = promo_at(api, shop, clock, timedelta(0))
    await worker.step()
    assert push.users() == ["ann", "bob", "cid"]
    with Session(api.engine) as session:  # what the dead worker left behind
        session.execute(
            update(Notification).values(status="pending", sent_at=None, next_attempt_at=clock.now + SEND_LEASE)
        )
        session.commit()
    clock.advance(SEND_LEASE)
    await worker.step()
    assert {(row.status, row.attempts) for row in notifications(api)} == {("sent", 2)}
    assert push.users() == ["ann", "bob", "cid"]
    assert [job["result"]["sent"] for job in worker.jobs()] == [3, 3]  # sent twice, delivered once
    assert push.stats() == {"received": 3, "accepted": 3, "failed": 0}
    assert stats(api, promo["id"])["notified"] == 3


async def test_a_throttling_provider_slows_the_run_down_without_failing_it(
    api: Any, shop: dict[str, Any], push: Any, worker: Any, clock: FakeClock, monkeypatch: Any
) -> None:
    monkeypatch.setenv("PROMOTIONS_PUSH_BATCH_SIZE", "5")
    users = [f"user-{n:02d}" for n in range(15)]
    for n, user in enumerate(users):
        put_profile(api, user, near(1, n * 20))
    push.behave(rate_limit_per_second=1)
    promo = promo_at(api, shop, clock, timedelta(0))
    started = time.monotonic()
    await worker.step()
    assert time.monotonic() - started >= 2  # three requests, one a second
    assert push.users() == users
    assert push.stats()["failed"] > 0  # answered 429, waited out
    assert {(row.status, row.attempts) for row in notifications(api)} == {("sent", 1)}
    assert stats(api, promo["id"])["notified"] == 15


async def test_pending_notifications_of_an_ended_promo_are_failed(
    api: Any, shop: dict[str, Any], push: Any, worker: Any, clock: FakeClock
) -> None:
    put_profile(api, "near", near(1))
    push.behave(down=True)
    promo_at(api, shop, clock, timedelta(0))
    await worker.step()
    push.behave()
    clock.advance(4 * HOUR)  # past its end
    await worker.step()
    assert [(row.status, row.last_error) for row in notifications(api)] == [("failed", ENDED_ERROR)]
    assert push.received() == []


async def test_another_clients_promo_reaches_only_its_own_profiles(
    api: Any, shop: dict[str, Any], push: Any, worker: Any, clock: FakeClock
) -> None:
    put_profile(api, "near", near(1))
    other = {"client": "others"}
    store = api.created(
        "/promotions/stores",
        {"name": "Other", "latitude": ALMATY[0], "longitude": ALMATY[1], "timezone": "UTC"},
        **other,
    )
    product = api.created(
        "/promotions/products",
        {"store_id": store["id"], "name": "Kettle", "regular_price_cents": 5_000, "currency": "KZT"},
        **other,
    )
    api.created("/promotions/segments", {"name": "New users"}, **other)
    assert api.put(
        "/promotions/profiles/theirs",
        {"latitude": ALMATY[0], "longitude": ALMATY[1], "segments": ["New users"]},
        **other,
    ).status_code in (200, 201)
    body = {
        "product_id": product["id"],
        "promo_price_cents": 4_000,
        "starts_at": at(clock, timedelta(0)),
        "ends_at": at(clock, HOUR),
        "segments": ["New users"],
    }
    api.created("/promotions/promos", body, **other)
    await worker.step()
    assert [(item["client"], item["user"]) for item in push.received()] == [("others", "theirs")]


async def test_two_replicas_ticking_at_once_start_one_run(
    api: Any, shop: dict[str, Any], push: Any, worker: Any, engine: Any, clock: FakeClock
) -> None:
    users = [f"user-{n:02d}" for n in range(30)]
    for n, user in enumerate(users):
        put_profile(api, user, near(1, n * 12))
    promo_at(api, shop, clock, HOUR)
    other = Worker(engine, clock)
    await other.start()
    try:
        clock.advance(HOUR)
        await asyncio.gather(worker.step(), other.step())
        await asyncio.gather(worker.step(), other.step())
    finally:
        await other.close()
    assert push.users() == users
    assert [job["kind"] for job in worker.jobs()] == ["promo_notifications"]


async def test_two_sends_of_one_run_at_once_deliver_each_user_once(
    api: Any, shop: dict[str, Any], push: Any, engine: Any, clock: FakeClock, monkeypatch: Any
) -> None:
    """A run's job delivered twice at once (a redelivery while the first still runs): both may send
    a row, and the provider delivers each notification id once."""
    monkeypatch.setenv("PROMOTIONS_PUSH_BATCH_SIZE", "10")
    users = [f"user-{n:02d}" for n in range(60)]
    for n, user in enumerate(users):
        put_profile(api, user, near(1, n * 6))
    promo = promo_at(api, shop, clock, timedelta(0))
    with Session(engine) as session:
        record = record_run(session, client="promos", promo_id=promo["id"], now=clock.now)
        assert record is not None and record.recorded == 60
        session.commit()
    runs = [deliver(engine, Settings(), client="promos", clock=clock, promo_id=promo["id"]) for _ in range(2)]
    counts = await asyncio.gather(*runs)
    assert 60 <= sum(count.sent for count in counts) <= 120
    assert push.users() == users
    assert push.stats()["received"] == 60
    assert {(row.status, row.attempts) for row in notifications(api)} == {("sent", 1)}


def test_the_run_records_exactly_the_users_eligibility_finds(api: Any, shop: dict[str, Any], clock: FakeClock) -> None:
    """The run's SQL distance (inline on PostgreSQL, a registered function on SQLite) agrees with
    eligibility.eligible_profiles (Python) on 300 users scattered around the radius's edge."""
    rng = random.Random(5)
    for n in range(300):
        segments = rng.choice([["New users"], ["Frequent buyers"], ["New users", "Frequent buyers"]])
        put_profile(api, f"user-{n:03d}", near(rng.uniform(0, 4), rng.uniform(0, 360)), segments)
    promo = promo_at(api, shop, clock, -HOUR, radius_km=2.5)
    with Session(api.engine) as session:
        expected = {profile.user for profile in eligible_profiles(session, client="promos", promo_id=promo["id"])}
        record = record_run(session, client="promos", promo_id=promo["id"], now=clock.now)
        session.commit()
    assert record is not None and record.recorded == len(expected) > 50
    assert {row.user for row in notifications(api)} == expected
