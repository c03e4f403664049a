"""orders_api against a fake transport: the query the real API wants, retries on 5xx and 429 with
backoff, a refused token and a malformed answer as OrdersApiError, entries joined to their orders."""

from datetime import UTC, datetime

import httpx
import pytest

from marketplace.orders_api import OrdersApi, OrdersApiError

SINCE, UNTIL = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 2, tzinfo=UTC)
PAGE = {
    "data": [
        {
            "type": "orders",
            "id": "o1",
            "attributes": {
                "code": "101",
                "creationDate": 1772409600000,
                "state": "NEW",
                "customer": {"firstName": "Aigerim", "lastName": "S", "email": "a@example.kz"},
            },
        }
    ],
    "included": [
        {
            "type": "orderentries",
            "id": "e1",
            "attributes": {"quantity": 2, "basePrice": 99.5, "offer": {"code": "SKU-1", "name": "Phone"}},
            "relationships": {"order": {"data": {"type": "orders", "id": "o1"}}},
        }
    ],
    "meta": {"pageCount": 3, "totalCount": 5},
}


def api_with(answers: list[httpx.Response], seen: list[httpx.Request], sleeps: list[float]) -> OrdersApi:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers.pop(0)

    return OrdersApi("http://market/shop/api", attempts=3, sleep=sleeps.append, transport=httpx.MockTransport(handle))


def test_a_page_is_asked_as_the_real_api_wants_and_parsed() -> None:
    seen: list[httpx.Request] = []
    sleeps: list[float] = []
    api = api_with(
        [httpx.Response(503), httpx.Response(429, headers={"Retry-After": "2"}), httpx.Response(200, json=PAGE)],
        seen,
        sleeps,
    )
    page = api.page("secret", since=SINCE, until=UNTIL, number=1, size=50)
    assert sleeps == [0.2, 2.0] and len(seen) == 3
    request = seen[-1]
    assert request.url.path == "/shop/api/v2/orders" and request.headers["X-Auth-Token"] == "secret"
    assert request.url.params["page[number]"] == "1" and request.url.params["page[size]"] == "50"
    assert request.url.params["filter[orders][creationDate][$ge]"] == str(int(SINCE.timestamp() * 1000))
    assert page.page_count == 3
    order = page.orders[0]
    assert (order.id, order.code, order.customer_name, order.customer_email) == (
        "o1",
        "101",
        "Aigerim S",
        "a@example.kz",
    )
    assert [(e.sku, e.quantity, e.price_cents) for e in order.entries] == [("SKU-1", 2, 9950)]


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ([httpx.Response(401)], "refused the store's API token"),
        ([httpx.Response(503)] * 3, "answered 503"),
        ([httpx.Response(200, content=b"<html>")], "not an orders page"),
        ([httpx.Response(200, json={"data": [{"type": "orders", "id": "x", "attributes": {}}]})], "malformed"),
    ],
)
def test_what_is_not_a_page_is_an_error(answers: list[httpx.Response], message: str) -> None:
    with pytest.raises(OrdersApiError, match=message):
        api_with(answers, [], []).page("t", since=SINCE, until=UNTIL, number=0, size=10)
