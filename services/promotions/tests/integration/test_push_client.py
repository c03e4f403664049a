"""The push client against the sandbox's push provider, served for real on a free port."""

import random
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from promotions.push import PushClient, PushMessage, RetryPolicy
from quintet_shared.testing.thread_server import ThreadServer, serving
from sandbox.config import Settings as SandboxSettings
from sandbox.main import create_app

TOKEN = "test-push-token"
FAST = RetryPolicy(attempts=3, backoff_seconds=0.01, max_backoff_seconds=0.05, max_throttle_seconds=10)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[ThreadServer]:
    with serving(create_app(SandboxSettings(push_token=TOKEN))) as server:
        yield server


@pytest.fixture
def push_url(sandbox: ThreadServer) -> Iterator[str]:
    url = f"{sandbox.url}/sandbox/push"
    httpx.delete(f"{url}/received")
    yield url
    httpx.delete(f"{url}/received")


@pytest.fixture
async def requests_seen() -> AsyncIterator[tuple[httpx.AsyncClient, list[int]]]:
    """An HTTP client that notes the number of messages in every request it sends."""
    sizes: list[int] = []

    async def note(request: httpx.Request) -> None:
        sizes.append(request.content.count(b'"user"'))

    async with httpx.AsyncClient(timeout=10, event_hooks={"request": [note]}) as http:
        yield http, sizes


def messages(count: int, promo_id: int = 7, keyed: bool = False) -> list[PushMessage]:
    return [
        PushMessage(
            user=f"user-{n}",
            title="Flash sale",
            body="20 % off, 2 km from you",
            data={"promo_id": promo_id},
            key=f"{promo_id}-{n}" if keyed else None,
        )
        for n in range(count)
    ]


def behave(url: str, **behaviour: Any) -> None:
    assert httpx.put(f"{url}/behaviour", json=behaviour).status_code == 200


def received(url: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    after = 0
    while True:
        page = httpx.get(f"{url}/received", params={"after": after, "limit": 1000}).json()
        if not page["items"]:
            return items
        items += page["items"]
        after = page["last_seq"]


def stats(url: str) -> dict[str, int]:
    return httpx.get(f"{url}/stats").json()


async def test_1200_messages_go_in_three_requests_and_are_all_accepted(
    push_url: str, requests_seen: tuple[httpx.AsyncClient, list[int]]
) -> None:
    http, sizes = requests_seen
    sent = messages(1200)
    async with PushClient(push_url, TOKEN, http=http) as client:
        report = await client.send(sent, client="promos")
    assert sorted(sizes) == [200, 500, 500]
    assert [delivery.message for delivery in report.deliveries] == sent
    assert len(report.accepted) == 1200 and report.failed == []
    assert len({delivery.ticket for delivery in report.accepted}) == 1200
    items = received(push_url)
    assert sorted(item["user"] for item in items) == sorted(message.user for message in sent)
    assert {(item["client"], item["data"]["promo_id"]) for item in items} == {("promos", 7)}
    assert {item["id"] for item in items} == {delivery.ticket for delivery in report.accepted}


async def test_nothing_to_send_sends_nothing(push_url: str, requests_seen: tuple[httpx.AsyncClient, list[int]]) -> None:
    http, sizes = requests_seen
    report = await PushClient(push_url, TOKEN, http=http).send([], client="promos")
    assert report.deliveries == [] and sizes == []


def seed_failing_first_then_passing() -> int:
    """A seed whose first failure draw at a rate of 0.5 fails and whose second passes."""
    for seed in range(1000):
        draws = random.Random(seed)
        if draws.random() < 0.5 <= draws.random():
            return seed
    raise AssertionError("no such seed")


async def test_a_5xx_is_retried_and_the_message_delivered_once(
    push_url: str, requests_seen: tuple[httpx.AsyncClient, list[int]]
) -> None:
    http, sizes = requests_seen
    behave(push_url, failure_rate=0.5, seed=seed_failing_first_then_passing())
    async with PushClient(push_url, TOKEN, policy=FAST, http=http) as client:
        report = await client.send(messages(300), client="promos")
    assert len(report.accepted) == 300
    assert sizes == [300, 300]
    assert stats(push_url) == {"received": 600, "accepted": 300, "failed": 300}
    assert len(received(push_url)) == 300


async def test_many_failures_are_retried_until_every_batch_passes(push_url: str) -> None:
    behave(push_url, failure_rate=0.5, seed=3)
    policy = RetryPolicy(attempts=20, backoff_seconds=0.001, max_backoff_seconds=0.005)
    async with PushClient(push_url, TOKEN, batch_size=10, policy=policy) as client:
        report = await client.send(messages(200, keyed=True), client="promos")
    assert len(report.accepted) == 200
    assert stats(push_url)["failed"] > 0
    assert sorted(item["user"] for item in received(push_url)) == sorted(f"user-{n}" for n in range(200))


async def test_a_429_is_waited_out_and_slows_the_send_down(push_url: str) -> None:
    behave(push_url, rate_limit_per_second=1)
    started = time.monotonic()
    async with PushClient(push_url, TOKEN, batch_size=100, concurrency=2, policy=FAST) as client:
        report = await client.send(messages(300), client="promos")
    elapsed = time.monotonic() - started
    assert len(report.accepted) == 300
    assert elapsed >= 2  # one request a second: the second and third batches waited for their turn
    assert stats(push_url)["accepted"] == 300
    assert stats(push_url)["failed"] >= 200  # each throttled batch was answered 429 at least once
    assert len(received(push_url)) == 300


async def test_a_retry_after_beyond_the_budget_fails_the_batch_at_once(push_url: str) -> None:
    behave(push_url, rate_limit_per_second=0.01)  # Retry-After: 100
    policy = RetryPolicy(attempts=3, backoff_seconds=0.01, max_throttle_seconds=5)
    started = time.monotonic()
    async with PushClient(push_url, TOKEN, batch_size=10, concurrency=1, policy=policy) as client:
        report = await client.send(messages(30), client="promos")
    assert time.monotonic() - started < 5  # the third batch did not wait the second's 100 s either
    assert len(report.accepted) == 10
    assert {delivery.error for delivery in report.failed} == {"throttled by the provider for longer than allowed"}
    assert [delivery.message.user for delivery in report.failed] == [f"user-{n}" for n in range(10, 30)]
    assert stats(push_url) == {"received": 20, "accepted": 10, "failed": 10}


async def test_a_retry_after_within_the_budget_is_waited_whole(push_url: str) -> None:
    behave(push_url, rate_limit_per_second=0.5)  # Retry-After: 2
    policy = RetryPolicy(attempts=3, backoff_seconds=0.01, max_throttle_seconds=3)
    started = time.monotonic()
    async with PushClient(push_url, TOKEN, batch_size=10, concurrency=1, policy=policy) as client:
        report = await client.send(messages(20), client="promos")
    assert len(report.accepted) == 20
    assert time.monotonic() - started >= 2


async def test_a_provider_that_is_down_fails_the_messages_after_bounded_tries(
    push_url: str, requests_seen: tuple[httpx.AsyncClient, list[int]]
) -> None:
    http, sizes = requests_seen
    behave(push_url, down=True)
    async with PushClient(push_url, TOKEN, policy=FAST, http=http) as client:
        report = await client.send(messages(700), client="promos")
    assert sorted(sizes) == [200, 200, 200, 500, 500, 500]  # each batch tried 3 times
    assert report.accepted == [] and len(report.failed) == 700
    assert all(delivery.error and delivery.error.startswith("provider unreachable") for delivery in report.failed)
    assert stats(push_url) == {"received": 0, "accepted": 0, "failed": 0}


async def test_a_provider_that_does_not_listen_fails_the_messages(push_url: str) -> None:
    with serving(create_app(SandboxSettings())) as gone:
        url = f"{gone.url}/sandbox/push"
    async with PushClient(url, TOKEN, policy=FAST, timeout_seconds=2) as client:
        report = await client.send(messages(3), client="promos")
    assert len(report.failed) == 3


async def test_a_wrong_token_fails_the_batch_without_retrying(
    push_url: str, requests_seen: tuple[httpx.AsyncClient, list[int]]
) -> None:
    http, sizes = requests_seen
    async with PushClient(push_url, "wrong", policy=FAST, http=http) as client:
        report = await client.send(messages(2), client="promos")
    assert sizes == [2]
    assert {delivery.error for delivery in report.failed} == {"401 Unauthorized: A valid bearer token is required."}


async def test_a_message_sent_again_with_its_key_is_delivered_once(push_url: str) -> None:
    async with PushClient(push_url, TOKEN) as client:
        first = await client.send(messages(5, keyed=True), client="promos")
        again = await client.send(messages(5, keyed=True), client="promos")
    assert [d.ticket for d in first.deliveries] == [d.ticket for d in again.deliveries]
    assert len(received(push_url)) == 5
