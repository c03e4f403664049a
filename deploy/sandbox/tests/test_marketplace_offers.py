"""The marketplace provider's offers side: the product page's offers API and the offers tests set."""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sandbox.config import Settings
from sandbox.main import create_app

MARKET = "/sandbox/marketplace"
ALMATY = "750000000"
ASTANA = "710000000"


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(create_app(Settings(received_limit=1000))) as test_client:
        yield test_client


def competitor(merchant: str, price: int, **fields: Any) -> dict[str, Any]:
    return {"merchantId": merchant, "merchantName": f"Shop {merchant}", "price": price, **fields}


def ask(client: TestClient, product: str, **query: Any) -> Any:
    body = {"cityId": ALMATY, "id": product, "limit": 5, "page": 0, **query}
    return client.post(f"{MARKET}/yml/offer-view/offers/{product}", json=body, headers={"X-Client-Code": "seller"})


def test_a_product_nobody_offers_has_no_offers(client: TestClient) -> None:
    response = ask(client, "100200300")
    assert response.status_code == 200
    assert response.json() == {"offers": [], "total": 0}


def test_offers_are_listed_cheapest_first_in_whole_tenge(client: TestClient) -> None:
    offers = [competitor("b", 1500), competitor("a", 1200, merchantRating=4.5, merchantReviewsQuantity=10)]
    assert client.put(f"{MARKET}/products/P1/offers", json={"offers": offers}).status_code == 200
    body = ask(client, "P1").json()
    assert body["total"] == 2
    assert [(o["merchantId"], o["merchantName"], o["price"]) for o in body["offers"]] == [
        ("a", "Shop a", 1200),
        ("b", "Shop b", 1500),
    ]
    assert body["offers"][0]["merchantRating"] == 4.5 and body["offers"][0]["merchantReviewsQuantity"] == 10


def test_pages_count_from_zero_and_total_counts_every_offer(client: TestClient) -> None:
    offers = [competitor(f"m{n:02}", 1000 + n) for n in range(12)]
    client.put(f"{MARKET}/products/P1/offers", json={"offers": offers})
    pages = [ask(client, "P1", limit=5, page=page).json() for page in range(4)]
    assert [len(page["offers"]) for page in pages] == [5, 5, 2, 0]
    assert {page["total"] for page in pages} == {12}
    assert [o["merchantId"] for page in pages for o in page["offers"]] == [f"m{n:02}" for n in range(12)]


def test_an_offer_of_one_city_is_listed_in_that_city_alone(client: TestClient) -> None:
    offers = [competitor("a", 1000, cityId=ASTANA), competitor("b", 1100)]
    client.put(f"{MARKET}/products/P1/offers", json={"offers": offers})
    assert [o["merchantId"] for o in ask(client, "P1").json()["offers"]] == ["b"]
    assert [o["merchantId"] for o in ask(client, "P1", cityId=ASTANA).json()["offers"]] == ["a", "b"]


def test_a_put_replaces_the_products_offers_and_an_empty_list_removes_them(client: TestClient) -> None:
    client.put(f"{MARKET}/products/P1/offers", json={"offers": [competitor("a", 1000)]})
    client.put(f"{MARKET}/products/P1/offers", json={"offers": [competitor("b", 900)]})
    assert [o["merchantId"] for o in ask(client, "P1").json()["offers"]] == ["b"]
    client.put(f"{MARKET}/products/P1/offers", json={"offers": []})
    assert ask(client, "P1").json()["total"] == 0


def test_many_products_are_set_at_once(client: TestClient) -> None:
    products = {f"P{n}": [competitor("a", 1000 + n)] for n in range(3)}
    assert client.put(f"{MARKET}/products/offers", json={"products": products}).json() == {"products": 3}
    assert ask(client, "P2").json()["offers"][0]["price"] == 1002


def test_each_question_is_listed_and_counted(client: TestClient) -> None:
    ask(client, "P1", page=2, limit=10)
    items = client.get(f"{MARKET}/received").json()["items"]
    assert [(i["productId"], i["cityId"], i["page"], i["limit"], i["client"]) for i in items] == [
        ("P1", ALMATY, 2, 10, "seller")
    ]
    assert client.get(f"{MARKET}/stats").json() == {"received": 1, "accepted": 1, "failed": 0}


@pytest.mark.parametrize(
    ("product", "query"),
    [
        ("P1", {"cityId": "Almaty"}),
        ("P1", {"limit": 0}),
        ("P1", {"limit": 101}),
        ("P1", {"page": -1}),
        ("P1", {"id": "P2"}),
        ("P%201", {"id": None}),
    ],
    ids=["city not digits", "limit 0", "limit over 100", "negative page", "id not the path's", "bad product id"],
)
def test_malformed_questions_are_422(client: TestClient, product: str, query: dict[str, Any]) -> None:
    response = ask(client, product, **query)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert client.get(f"{MARKET}/stats").json()["received"] == 0


@pytest.mark.parametrize(
    "offer",
    [{"merchantId": "a", "merchantName": "A", "price": -1}, {"merchantId": "", "merchantName": "A", "price": 1}],
)
def test_malformed_offers_are_422(client: TestClient, offer: dict[str, Any]) -> None:
    assert client.put(f"{MARKET}/products/P1/offers", json={"offers": [offer]}).status_code == 422


def test_failures_and_throttling_answer_the_offers_api(client: TestClient) -> None:
    client.put(f"{MARKET}/behaviour", json={"failure_rate": 1})
    assert ask(client, "P1").status_code == 503
    client.put(f"{MARKET}/behaviour", json={"rate_limit_per_second": 1})
    assert ask(client, "P1").status_code == 200
    throttled = ask(client, "P1")
    assert throttled.status_code == 429 and int(throttled.headers["retry-after"]) >= 1


def test_a_reset_forgets_the_offers(client: TestClient) -> None:
    client.put(f"{MARKET}/products/P1/offers", json={"offers": [competitor("a", 1000)]})
    client.delete(f"{MARKET}/received")
    assert ask(client, "P1").json()["total"] == 0
