"""The billing provider over real HTTP: auth, validation, idempotency, declines and faults by the seed."""

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from quintet_shared.testing.thread_server import ThreadServer, serving
from sandbox.config import Settings
from sandbox.main import create_app

KEY = "test-billing-key"
AUTH = {"Auth-Key": KEY, "X-Client-Code": "iska"}
CHARGE = {"msisdn": "998901234567", "sub_plan": "11"}


@pytest.fixture(scope="module")
def server() -> Iterator[ThreadServer]:
    with serving(create_app(Settings(billing_auth_key=KEY, received_limit=1000))) as running:
        yield running


@pytest.fixture
def billing(server: ThreadServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{server.url}/sandbox/billing") as client:
        client.delete("/received")
        yield client
        client.delete("/received")


def charge(client: httpx.Client, body: Any = CHARGE, headers: dict[str, str] = AUTH, key: str | None = None) -> Any:
    if key is not None:
        headers = {**headers, "Idempotency-Key": key}
    return client.post("/charges", json=body, headers=headers)


def test_a_charge_succeeds_and_is_listed_with_its_client(billing: httpx.Client) -> None:
    response = charge(billing)
    assert (response.status_code, response.json()) == (200, {"status": "success"})
    charge(billing, {"msisdn": "4915112345678", "sub_plan": "21"}, headers={"Auth-Key": KEY})
    items = billing.get("/received").json()["items"]
    assert [(i["client"], i["msisdn"], i["sub_plan"], i["status"]) for i in items] == [
        ("iska", "998901234567", "11", "success"),
        (None, "4915112345678", "21", "success"),
    ]
    assert billing.get("/stats").json() == {"received": 2, "accepted": 2, "failed": 0}


@pytest.mark.parametrize("headers", [{}, {"Auth-Key": "wrong"}, {"Auth-Key": ""}, {"Authorization": f"Bearer {KEY}"}])
def test_a_missing_or_wrong_auth_key_is_401(billing: httpx.Client, headers: dict[str, str]) -> None:
    response = charge(billing, headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert billing.get("/stats").json()["received"] == 0


@pytest.mark.parametrize(
    "body",
    [
        {"msisdn": "1234567", "sub_plan": "11"},
        {"msisdn": "1234567890123456", "sub_plan": "11"},
        {"msisdn": "+998901234567", "sub_plan": "11"},
        {"msisdn": "99890123456a", "sub_plan": "11"},
        {"msisdn": "998901234567", "sub_plan": "31"},
        {"msisdn": "998901234567", "sub_plan": 11},
        {"msisdn": "998901234567"},
        {"sub_plan": "21"},
        [],
        "998901234567",
    ],
)
def test_malformed_charges_are_422_and_charge_nothing(billing: httpx.Client, body: Any) -> None:
    response = charge(billing, body)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert billing.get("/stats").json()["received"] == 0


def test_a_body_that_is_not_json_is_422(billing: httpx.Client) -> None:
    response = billing.post("/charges", content=b"{nope", headers={**AUTH, "content-type": "application/json"})
    assert response.status_code == 422


def test_an_idempotency_key_too_long_is_422(billing: httpx.Client) -> None:
    assert charge(billing, key="k" * 256).status_code == 422


def test_a_repeated_idempotency_key_gets_the_first_answer_and_charges_once(billing: httpx.Client) -> None:
    billing.put("/behaviour", json={"failure_rate": 0.5, "seed": 3})
    first = [charge(billing, key=f"sub-1:2024-05-0{n}:1").json()["status"] for n in range(1, 9)]
    assert set(first) == {"success", "failure"}
    again = [charge(billing, key=f"sub-1:2024-05-0{n}:1") for n in range(1, 9)]
    assert [answer.json()["status"] for answer in again] == first
    assert all(answer.headers["idempotent-replayed"] == "true" for answer in again)
    stats = billing.get("/stats").json()
    assert stats == {"received": 8, "accepted": first.count("success"), "failed": first.count("failure")}
    assert len(billing.get("/received").json()["items"]) == 8
    # Another client's key of the same name is its own charge.
    other = charge(billing, headers={**AUTH, "X-Client-Code": "other"}, key="sub-1:2024-05-01:1")
    assert "idempotent-replayed" not in other.headers
    assert billing.get("/stats").json()["received"] == 9


def test_the_same_key_with_another_charge_is_422(billing: httpx.Client) -> None:
    assert charge(billing, key="k1").status_code == 200
    response = charge(billing, {**CHARGE, "sub_plan": "21"}, key="k1")
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert billing.get("/stats").json()["received"] == 1


def test_a_transport_fault_stores_nothing_under_the_key(billing: httpx.Client) -> None:
    billing.put("/behaviour", json={"error_rate": 1})
    assert charge(billing, key="k2").status_code == 503
    billing.put("/behaviour", json={})
    response = charge(billing, key="k2")
    assert response.status_code == 200 and "idempotent-replayed" not in response.headers
    assert billing.get("/stats").json() == {"received": 2, "accepted": 1, "failed": 1}


def outcomes(billing: httpx.Client, count: int) -> list[Any]:
    answers = [charge(billing) for _ in range(count)]
    return [(answer.status_code, answer.json()["status"] if answer.status_code == 200 else None) for answer in answers]


def test_declines_and_errors_follow_the_seed(billing: httpx.Client) -> None:
    behaviour = {"failure_rate": 0.3, "error_rate": 0.2, "seed": 11}
    billing.put("/behaviour", json=behaviour)
    first = outcomes(billing, 60)
    billing.put("/behaviour", json=behaviour)
    assert outcomes(billing, 60) == first
    assert set(first) == {(200, "success"), (200, "failure"), (503, None)}
    listed = billing.get("/received", params={"limit": 1000}).json()["items"]
    assert [item["status"] for item in listed].count("failure") == 2 * first.count((200, "failure"))
    stats = billing.get("/stats").json()
    assert stats == {"received": 120, "accepted": 2 * first.count((200, "success")), "failed": 120 - stats["accepted"]}


def test_behaviour_fields_of_billing_are_read_back_and_checked(billing: httpx.Client) -> None:
    assert billing.put("/behaviour", json={"error_rate": 0.1, "failure_rate": 0.4}).status_code == 200
    assert billing.get("/behaviour").json()["error_rate"] == 0.1
    assert billing.put("/behaviour", json={"error_rate": 2}).status_code == 422
    assert billing.put("/behaviour", json={"decline": 1}).status_code == 422


def test_down_resets_and_a_reset_forgets_keys_and_behaviour(billing: httpx.Client) -> None:
    charge(billing, key="k3")
    billing.put("/behaviour", json={"down": True})
    with pytest.raises(httpx.TransportError):
        charge(billing, key="k4")
    assert billing.delete("/received").status_code == 204
    assert billing.get("/behaviour").json()["down"] is False
    response = charge(billing, key="k3")
    assert "idempotent-replayed" not in response.headers
    assert billing.get("/stats").json() == {"received": 1, "accepted": 1, "failed": 0}


def test_the_record_and_the_keys_are_bounded() -> None:
    app = create_app(Settings(billing_auth_key=KEY, received_limit=5))
    with serving(app) as server, httpx.Client(base_url=f"{server.url}/sandbox/billing") as client:
        for n in range(12):
            charge(client, key=f"k{n}")
        page = client.get("/received").json()
        assert (len(page["items"]), page["items"][0]["seq"], page["last_seq"]) == (5, 8, 12)
        assert "idempotent-replayed" not in charge(client, key="k0").headers  # forgotten
        assert charge(client, key="k11").headers["idempotent-replayed"] == "true"
