"""Faults that only a real connection shows: a provider that is down resets it, a slow one is slow."""

import time
from collections.abc import Iterator

import httpx
import pytest

from quintet_shared.testing.thread_server import ThreadServer, serving
from sandbox.config import Settings
from sandbox.main import create_app

TOKEN = "test-push-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
BATCH = {"messages": [{"user": "u1", "title": "Flash sale", "data": {"promo_id": 1}}]}


@pytest.fixture(scope="module")
def server() -> Iterator[ThreadServer]:
    with serving(create_app(Settings(push_token=TOKEN))) as running:
        yield running


@pytest.fixture
def push(server: ThreadServer) -> Iterator[str]:
    url = f"{server.url}/sandbox/push"
    httpx.delete(f"{url}/received")
    yield url
    httpx.delete(f"{url}/received")


def test_down_resets_the_connection_without_an_answer(push: str) -> None:
    httpx.put(f"{push}/behaviour", json={"down": True})
    with httpx.Client() as client:
        for _ in range(3):  # also on a connection that was kept alive
            with pytest.raises(httpx.TransportError):
                client.post(f"{push}/messages", json=BATCH, headers=AUTH)
    assert httpx.get(f"{push}/stats").json() == {"received": 0, "accepted": 0, "failed": 0}


def test_while_down_inspection_answers_and_the_provider_comes_back(push: str) -> None:
    httpx.put(f"{push}/behaviour", json={"down": True})
    assert httpx.get(f"{push}/received").status_code == 200
    httpx.put(f"{push}/behaviour", json={"down": False})
    response = httpx.post(f"{push}/messages", json=BATCH, headers=AUTH)
    assert response.status_code == 200
    assert httpx.get(f"{push}/stats").json()["accepted"] == 1


def test_latency_delays_the_answer(push: str) -> None:
    httpx.put(f"{push}/behaviour", json={"latency_ms": 800})
    started = time.monotonic()
    assert httpx.post(f"{push}/messages", json=BATCH, headers=AUTH).status_code == 200
    assert time.monotonic() - started >= 0.8
    started = time.monotonic()
    assert httpx.get(f"{push}/stats").status_code == 200
    assert time.monotonic() - started < 0.8  # inspection is never slowed


def test_a_down_provider_is_not_seen_through_unanswered_requests(push: str) -> None:
    httpx.put(f"{push}/behaviour", json={"down": True, "latency_ms": 2000})
    started = time.monotonic()
    with pytest.raises(httpx.TransportError):
        httpx.post(f"{push}/messages", json=BATCH, headers=AUTH)
    assert time.monotonic() - started < 2  # down wins: no waiting before the reset
