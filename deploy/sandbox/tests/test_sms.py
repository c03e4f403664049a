"""The SMS gateways over real HTTP: per-gateway behaviour, delivery callbacks that reach a receiver
served on its own port, idempotent msgids, inspection per gateway and across them."""

import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response

from quintet_shared.testing.thread_server import ThreadServer, serving
from sandbox.config import Settings
from sandbox.main import create_app

TOKEN = "test-sms-token"
AUTH = {"Authorization": f"Bearer {TOKEN}", "X-Client-Code": "iska"}
DELAY_MS = 300


class Receiver:
    """A tiny app standing for the subscriptions service's callback endpoint."""

    def __init__(self) -> None:
        self.calls: list[tuple[float, str, Any]] = []
        self.failures: list[int] = []  # statuses to answer next, before answering 204
        self.app = FastAPI()

        @self.app.post("/cb/{token}")
        async def callback(token: str, request: Request) -> Response:
            if self.failures:
                return Response(status_code=self.failures.pop(0))
            self.calls.append((time.monotonic(), token, await request.json()))
            return Response(status_code=204)

    def clear(self) -> None:
        self.calls.clear()
        self.failures.clear()


@pytest.fixture(scope="module")
def receiver() -> Iterator[tuple[Receiver, str]]:
    receiving = Receiver()
    with serving(receiving.app) as server:
        yield receiving, server.url


@pytest.fixture(scope="module")
def server() -> Iterator[ThreadServer]:
    settings = Settings(sms_token=TOKEN, sms_callback_delay_ms=DELAY_MS, received_limit=1000)
    with serving(create_app(settings)) as running:
        yield running


@pytest.fixture
def sms(server: ThreadServer, receiver: tuple[Receiver, str]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{server.url}/sandbox/sms") as client:
        client.delete("/received")
        receiver[0].clear()
        yield client
        # Callbacks still due would reach the next test's receiver: let them arrive first.
        eventually(lambda: client.get("/callbacks").json()["pending"] == 0, timeout=10)
        client.delete("/received")


def message(receiver_url: str, msgid: str, **fields: Any) -> dict[str, Any]:
    return {
        "msisdn": "998901234567",
        "msgid": msgid,
        "text": "fcat24: 21, fcat48: 19",
        "callback": f"{receiver_url}/cb/secret",
        **fields,
    }


def eventually(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


def test_an_accepted_message_is_called_back_as_delivered_after_the_delay(
    sms: httpx.Client, receiver: tuple[Receiver, str]
) -> None:
    receiving, url = receiver
    sent_at = time.monotonic()
    response = sms.post("/srv1/messages", json=message(url, "m-1"), headers=AUTH)
    assert (response.status_code, response.json()) == (200, {"status": "accepted"})
    eventually(lambda: len(receiving.calls) == 1)
    called_at, token, body = receiving.calls[0]
    assert body == {"msgid": "m-1", "status": "delivered"} and token == "secret"
    assert called_at - sent_at >= DELAY_MS / 1000
    eventually(lambda: sms.get("/srv1/received").json()["items"][0]["callback_state"] == "done")
    item = sms.get("/srv1/received").json()["items"][0]
    assert (item["client"], item["gateway"], item["msgid"], item["delivery"], item["callback_attempts"]) == (
        "iska",
        "srv1",
        "m-1",
        "delivered",
        1,
    )
    assert sms.get("/callbacks").json() == {"pending": 0, "done": 1, "failed": 0, "dropped": 0}


def test_srv1_down_while_srv2_works(sms: httpx.Client, receiver: tuple[Receiver, str]) -> None:
    receiving, url = receiver
    assert sms.put("/srv1/behaviour", json={"down": True}).status_code == 200
    with pytest.raises(httpx.TransportError):
        sms.post("/srv1/messages", json=message(url, "m-2"), headers=AUTH)
    assert sms.post("/srv2/messages", json=message(url, "m-2"), headers=AUTH).status_code == 200
    assert sms.get("/srv2/behaviour").json()["down"] is False
    eventually(lambda: [call[2]["msgid"] for call in receiving.calls] == ["m-2"])
    assert sms.get("/srv1/stats").json() == {"received": 0, "accepted": 0, "failed": 0}
    assert sms.get("/srv2/stats").json() == {"received": 1, "accepted": 1, "failed": 0}


def test_failures_of_one_gateway_follow_its_seed_and_are_not_called_back(
    sms: httpx.Client, receiver: tuple[Receiver, str]
) -> None:
    receiving, url = receiver

    def outcomes(prefix: str) -> list[int]:
        sms.put("/srv2/behaviour", json={"failure_rate": 0.5, "seed": 4})
        return [
            sms.post("/srv2/messages", json=message(url, f"{prefix}{n}"), headers=AUTH).status_code for n in range(20)
        ]

    first = outcomes("a")
    assert outcomes("b") == first and set(first) == {200, 503}
    assert sms.post("/srv3/messages", json=message(url, "c"), headers=AUTH).status_code == 200
    accepted = 2 * first.count(200)
    eventually(lambda: len(receiving.calls) == accepted + 1)
    assert sms.get("/srv2/stats").json() == {"received": 40, "accepted": accepted, "failed": 40 - accepted}
    assert sms.get("/stats").json() == {"received": 41, "accepted": accepted + 1, "failed": 40 - accepted}


def test_a_duplicate_msgid_is_accepted_without_a_second_callback(
    sms: httpx.Client, receiver: tuple[Receiver, str]
) -> None:
    receiving, url = receiver
    for _ in range(3):
        assert sms.post("/srv1/messages", json=message(url, "dup"), headers=AUTH).json() == {"status": "accepted"}
    # Another gateway, or another client, is another message.
    sms.post("/srv2/messages", json=message(url, "dup"), headers=AUTH)
    sms.post("/srv1/messages", json=message(url, "dup"), headers={**AUTH, "X-Client-Code": "other"})
    eventually(lambda: len(receiving.calls) == 3)
    time.sleep(3 * DELAY_MS / 1000)
    assert len(receiving.calls) == 3
    assert sms.get("/srv1/stats").json()["accepted"] == 2
    assert len(sms.get("/srv1/received").json()["items"]) == 2


def test_inspection_per_gateway_and_across_them(sms: httpx.Client, receiver: tuple[Receiver, str]) -> None:
    _, url = receiver
    for gateway, msgid in [("srv1", "x1"), ("srv2", "x2"), ("srv1", "x3"), ("srv3", "x4")]:
        sms.post(f"/{gateway}/messages", json=message(url, msgid), headers=AUTH)
    assert [i["msgid"] for i in sms.get("/srv1/received").json()["items"]] == ["x1", "x3"]
    everything = sms.get("/received").json()
    assert [(i["gateway"], i["msgid"]) for i in everything["items"]] == [
        ("srv1", "x1"),
        ("srv2", "x2"),
        ("srv1", "x3"),
        ("srv3", "x4"),
    ]
    after = everything["items"][1]["seq"]
    assert [i["msgid"] for i in sms.get("/received", params={"after": after}).json()["items"]] == ["x3", "x4"]
    assert sms.get("/stats").json() == {"received": 4, "accepted": 4, "failed": 0}
    # A gateway's reset forgets that gateway alone (its messages, behaviour and msgids).
    sms.put("/srv1/behaviour", json={"latency_ms": 5})
    sms.put("/srv2/behaviour", json={"latency_ms": 5})
    assert sms.delete("/srv1/received").status_code == 204
    assert sms.get("/srv1/received").json()["items"] == []
    assert sms.get("/srv1/behaviour").json()["latency_ms"] == 0
    assert sms.get("/srv2/behaviour").json()["latency_ms"] == 5
    assert len(sms.get("/srv2/received").json()["items"]) == 1
    # The reset of all resets every gateway.
    assert sms.delete("/received").status_code == 204
    assert sms.get("/received").json()["items"] == []
    assert sms.get("/srv2/behaviour").json()["latency_ms"] == 0
    assert sms.get("/srv2/stats").json() == {"received": 0, "accepted": 0, "failed": 0}
    assert sms.get("/callbacks").json()["done"] == 0


def test_undelivered_and_unreported_shares_follow_the_seed(sms: httpx.Client, receiver: tuple[Receiver, str]) -> None:
    receiving, url = receiver
    behaviour = {"undelivered_rate": 0.3, "unreported_rate": 0.3, "seed": 9}

    def deliveries(prefix: str) -> list[str | None]:
        sms.put("/srv3/behaviour", json=behaviour)
        for n in range(30):
            sms.post("/srv3/messages", json=message(url, f"{prefix}{n}"), headers=AUTH)
        items = sms.get("/srv3/received", params={"limit": 1000}).json()["items"]
        return [item["delivery"] for item in items if item["msgid"].startswith(prefix)]

    first = deliveries("a")
    assert deliveries("b") == first
    assert set(first) == {"delivered", "failed", None}
    reported = [status for status in first if status is not None]
    eventually(lambda: len(receiving.calls) == 2 * len(reported))
    time.sleep(2 * DELAY_MS / 1000)
    assert len(receiving.calls) == 2 * len(reported)
    by_msgid = {call[2]["msgid"]: call[2]["status"] for call in receiving.calls}
    assert [by_msgid.get(f"a{n}") for n in range(30)] == first
    items = sms.get("/srv3/received", params={"limit": 1000}).json()["items"]
    assert {item["callback_state"] for item in items if item["delivery"] is None} == {"withheld"}


def test_a_callback_is_retried_on_5xx_and_given_up_on_4xx(sms: httpx.Client, receiver: tuple[Receiver, str]) -> None:
    receiving, url = receiver
    receiving.failures.extend([503, 500])
    sms.post("/srv1/messages", json=message(url, "r1"), headers=AUTH)
    eventually(lambda: len(receiving.calls) == 1)
    eventually(lambda: sms.get("/srv1/received").json()["items"][0]["callback_state"] == "done")
    assert sms.get("/srv1/received").json()["items"][0]["callback_attempts"] == 3
    receiving.failures.append(404)
    sms.post("/srv1/messages", json=message(url, "r2"), headers=AUTH)
    eventually(lambda: sms.get("/callbacks").json()["failed"] == 1)
    item = sms.get("/srv1/received").json()["items"][1]
    assert (item["callback_state"], item["callback_attempts"], item["callback_error"]) == ("failed", 1, "HTTP 404")
    assert len(receiving.calls) == 1


def test_an_unreachable_callback_is_recorded_and_the_gateway_goes_on(
    sms: httpx.Client, receiver: tuple[Receiver, str]
) -> None:
    receiving, url = receiver
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    sms.post("/srv2/messages", json=message(closed, "lost"), headers=AUTH)
    eventually(lambda: sms.get("/callbacks").json()["failed"] == 1)
    item = sms.get("/srv2/received").json()["items"][0]
    assert (item["callback_state"], item["callback_attempts"]) == ("failed", 3)
    assert "ConnectError" in item["callback_error"]
    assert sms.post("/srv2/messages", json=message(url, "next"), headers=AUTH).status_code == 200
    eventually(lambda: len(receiving.calls) == 1)


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Auth-Key": TOKEN}])
def test_a_missing_or_wrong_token_is_401(sms: httpx.Client, headers: dict[str, str]) -> None:
    response = sms.post("/srv1/messages", json=message("http://127.0.0.1:9", "m"), headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "fields",
    [
        {"msisdn": "1234567"},
        {"msisdn": "+998901234567"},
        {"msgid": ""},
        {"text": ""},
        {"text": "x" * 1601},
        {"callback": "not a url"},
        {"callback": "ftp://example.com/cb"},
        {"callback": None},
    ],
)
def test_malformed_messages_are_422(sms: httpx.Client, fields: dict[str, Any]) -> None:
    response = sms.post("/srv1/messages", json={**message("http://127.0.0.1:9", "m"), **fields}, headers=AUTH)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert sms.get("/stats").json()["received"] == 0


def test_an_unknown_gateway_is_404_and_shares_over_1_are_422(sms: httpx.Client) -> None:
    assert sms.post("/srv4/messages", json={}, headers=AUTH).status_code == 404
    response = sms.put("/srv1/behaviour", json={"undelivered_rate": 0.6, "unreported_rate": 0.6})
    assert response.status_code == 422
    assert sms.put("/srv1/behaviour", json={"bounce": 1}).status_code == 422


def test_memory_is_bounded_by_the_setting(receiver: tuple[Receiver, str]) -> None:
    receiving, url = receiver
    receiving.clear()
    settings = Settings(sms_token=TOKEN, sms_callback_delay_ms=2000, received_limit=5, sms_callback_concurrency=2)
    with serving(create_app(settings)) as server, httpx.Client(base_url=f"{server.url}/sandbox/sms") as client:
        for n in range(10):
            assert client.post("/srv1/messages", json=message(url, f"b{n}"), headers=AUTH).status_code == 200
        page = client.get("/srv1/received").json()
        assert (len(page["items"]), page["items"][0]["msgid"], page["last_seq"]) == (5, "b5", 10)
        assert len(client.get("/received").json()["items"]) == 5
        # Two callbacks wait in the workers and five in the queue; the other three are dropped.
        assert client.get("/callbacks").json() == {"pending": 7, "done": 0, "failed": 0, "dropped": 3}
        client.post("/srv1/messages", json=message(url, "b0"), headers=AUTH)  # forgotten: accepted anew
        assert client.get("/srv1/stats").json()["accepted"] == 11
