"""The push provider's API and its inspection and fault routes, in process."""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sandbox.config import Settings
from sandbox.main import create_app

TOKEN = "test-push-token"
AUTH = {"Authorization": f"Bearer {TOKEN}", "X-Client-Code": "promos"}
PUSH = "/sandbox/push"


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(create_app(Settings(push_token=TOKEN, received_limit=1000))) as test_client:
        yield test_client


def messages(count: int, **fields: Any) -> list[dict[str, Any]]:
    return [
        {"user": f"u{n}", "title": "Flash sale", "body": "20 % off", "data": {"promo_id": 7}, **fields}
        for n in range(count)
    ]


def send(client: TestClient, batch: list[dict[str, Any]], headers: dict[str, str] = AUTH) -> Any:
    return client.post(f"{PUSH}/messages", json={"messages": batch}, headers=headers)


def test_a_batch_is_answered_with_one_ticket_per_message_in_order(client: TestClient) -> None:
    response = send(client, messages(3))
    assert response.status_code == 200
    tickets = response.json()["data"]
    assert [ticket["status"] for ticket in tickets] == ["ok"] * 3
    assert len({ticket["id"] for ticket in tickets}) == 3
    items = client.get(f"{PUSH}/received").json()["items"]
    assert [item["id"] for item in items] == [ticket["id"] for ticket in tickets]


def test_inspection_lists_one_item_per_message_with_user_data_and_client(client: TestClient) -> None:
    send(client, messages(2))
    send(client, messages(1), headers={"Authorization": f"Bearer {TOKEN}"})
    page = client.get(f"{PUSH}/received", params={"after": 0, "limit": 10}).json()
    assert [(i["seq"], i["user"], i["data"]["promo_id"], i["client"]) for i in page["items"]] == [
        (1, "u0", 7, "promos"),
        (2, "u1", 7, "promos"),
        (3, "u0", 7, None),
    ]
    assert page["items"][0]["title"] == "Flash sale" and page["items"][0]["body"] == "20 % off"
    assert page["last_seq"] == 3
    later = client.get(f"{PUSH}/received", params={"after": 2}).json()
    assert [item["seq"] for item in later["items"]] == [3]
    assert client.get(f"{PUSH}/stats").json() == {"received": 3, "accepted": 3, "failed": 0}


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}, {"Authorization": f"Basic {TOKEN}"}],
)
def test_a_missing_or_wrong_token_is_401(client: TestClient, headers: dict[str, str]) -> None:
    response = send(client, messages(1), headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.headers["content-type"] == "application/problem+json"
    assert client.get(f"{PUSH}/stats").json()["received"] == 0


def test_500_messages_pass_and_501_are_refused(client: TestClient) -> None:
    assert len(send(client, messages(500)).json()["data"]) == 500
    response = send(client, messages(501))
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "messages"]
    assert client.get(f"{PUSH}/stats").json()["received"] == 500


@pytest.mark.parametrize(
    "body",
    [
        {"messages": []},
        {"messages": [{"title": "no user"}]},
        {"messages": [{"user": "", "title": "t"}]},
        {"messages": [{"user": "u", "title": "t", "data": "not an object"}]},
        {"messages": [{"user": "u", "title": "t" * 256}]},
        {"messages": "u"},
        [],
    ],
)
def test_malformed_batches_are_422(client: TestClient, body: Any) -> None:
    response = client.post(f"{PUSH}/messages", json=body, headers=AUTH)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


def test_a_body_that_is_not_json_is_422(client: TestClient) -> None:
    response = client.post(
        f"{PUSH}/messages", content=b"{not json", headers={**AUTH, "content-type": "application/json"}
    )
    assert response.status_code == 422


def test_a_repeated_idempotency_key_gets_its_first_ticket_and_is_listed_once(client: TestClient) -> None:
    first = send(client, [*messages(2, idempotency_key=None), {"user": "x", "title": "t", "idempotency_key": "n-1"}])
    again = send(client, [{"user": "x", "title": "t", "idempotency_key": "n-1"}])
    assert again.json()["data"][0]["id"] == first.json()["data"][2]["id"]
    other_client = send(
        client, [{"user": "x", "title": "t", "idempotency_key": "n-1"}], headers={**AUTH, "X-Client-Code": "other"}
    )
    assert other_client.json()["data"][0]["id"] != first.json()["data"][2]["id"]
    assert client.get(f"{PUSH}/stats").json()["accepted"] == 4
    assert [item["user"] for item in client.get(f"{PUSH}/received").json()["items"]] == ["u0", "u1", "x", "x"]


def outcomes(client: TestClient, count: int) -> list[int]:
    return [send(client, messages(1)).status_code for _ in range(count)]


def test_failures_follow_the_seed(client: TestClient) -> None:
    behaviour = {"failure_rate": 0.5, "seed": 7}
    assert client.put(f"{PUSH}/behaviour", json=behaviour).status_code == 200
    first = outcomes(client, 40)
    client.put(f"{PUSH}/behaviour", json=behaviour)
    assert outcomes(client, 40) == first
    assert set(first) == {200, 503}
    stats = client.get(f"{PUSH}/stats").json()
    assert stats == {"received": 80, "accepted": 2 * first.count(200), "failed": 2 * first.count(503)}
    assert len(client.get(f"{PUSH}/received", params={"limit": 1000}).json()["items"]) == stats["accepted"]


def test_a_failing_batch_counts_each_of_its_messages(client: TestClient) -> None:
    client.put(f"{PUSH}/behaviour", json={"failure_rate": 1})
    response = send(client, messages(5))
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert client.get(f"{PUSH}/stats").json() == {"received": 5, "accepted": 0, "failed": 5}


def test_over_the_rate_limit_is_429_with_retry_after(client: TestClient) -> None:
    client.put(f"{PUSH}/behaviour", json={"rate_limit_per_second": 2})
    answers = [send(client, messages(10)) for _ in range(3)]
    assert [answer.status_code for answer in answers] == [200, 200, 429]
    assert answers[2].headers["retry-after"] == "1"
    assert client.get(f"{PUSH}/stats").json() == {"received": 30, "accepted": 20, "failed": 10}


def test_inspection_is_never_throttled_nor_failed(client: TestClient) -> None:
    client.put(f"{PUSH}/behaviour", json={"rate_limit_per_second": 1, "failure_rate": 1})
    for _ in range(5):
        assert client.get(f"{PUSH}/stats").status_code == 200
        assert client.get(f"{PUSH}/received").status_code == 200


def test_behaviour_is_read_back_and_a_put_replaces_it_whole(client: TestClient) -> None:
    assert client.get(f"{PUSH}/behaviour").json() == {
        "failure_rate": 0.0,
        "latency_ms": 0,
        "down": False,
        "seed": None,
        "rate_limit_per_second": None,
    }
    client.put(f"{PUSH}/behaviour", json={"failure_rate": 0.2, "seed": 1})
    client.put(f"{PUSH}/behaviour", json={"latency_ms": 5})
    assert client.get(f"{PUSH}/behaviour").json()["failure_rate"] == 0.0


@pytest.mark.parametrize("body", [{"failure_rate": 2}, {"latency_ms": -5}, {"down": "yes"}, {"rate": 1}, []])
def test_a_behaviour_out_of_range_is_422(client: TestClient, body: Any) -> None:
    response = client.put(f"{PUSH}/behaviour", json=body)
    assert response.status_code == 422
    assert client.get(f"{PUSH}/behaviour").json()["failure_rate"] == 0.0


def test_a_reset_forgets_messages_stats_behaviour_and_keys(client: TestClient) -> None:
    send(client, [{"user": "x", "title": "t", "idempotency_key": "k"}])
    client.put(f"{PUSH}/behaviour", json={"failure_rate": 1})
    send(client, messages(2))
    assert client.delete(f"{PUSH}/received").status_code == 204
    assert client.get(f"{PUSH}/stats").json() == {"received": 0, "accepted": 0, "failed": 0}
    assert client.get(f"{PUSH}/behaviour").json()["failure_rate"] == 0.0
    assert client.get(f"{PUSH}/received").json() == {"items": [], "last_seq": 1}
    send(client, [{"user": "x", "title": "t", "idempotency_key": "k"}])
    assert [item["seq"] for item in client.get(f"{PUSH}/received").json()["items"]] == [2]


@pytest.mark.parametrize("query", [{"after": -1}, {"limit": 0}, {"limit": 1001}, {"after": "x"}])
def test_bad_inspection_queries_are_422(client: TestClient, query: dict[str, Any]) -> None:
    assert client.get(f"{PUSH}/received", params=query).status_code == 422


def test_the_store_is_bounded_by_the_setting() -> None:
    with TestClient(create_app(Settings(push_token=TOKEN, received_limit=600))) as client:
        for _ in range(3):
            send(client, messages(500))
        page = client.get(f"{PUSH}/received", params={"limit": 1000}).json()
        assert (len(page["items"]), page["items"][0]["seq"], page["last_seq"]) == (600, 901, 1500)
        assert client.get(f"{PUSH}/stats").json()["received"] == 1500
