"""Orders created through the API, on SQLite and PostgreSQL: stock is taken from a sales point and
given back on cancel, the life cycle refuses wrong moves (409), `marketplace.order.placed` is
published through the outbox with the contract's fields."""

from typing import Any

from marketplace.events import ORDER_PLACED

CUSTOMER = {"email": "aigerim@example.kz", "name": "Aigerim Sadykova"}


def stock_of(api: Any, product_id: int) -> dict[str, int]:
    return api.get(f"/marketplace/products/{product_id}").json()["stock"]


async def test_an_order_takes_stock_publishes_and_moves_through_its_states(
    api: Any, worker: Any, shop: dict[str, Any]
) -> None:
    store, points, product = shop["store"], shop["points"], shop["product"]
    body = {"store_id": store["id"], "customer": CUSTOMER, "items": [{"sku": "PHONE-1", "quantity": 4}]}
    order = api.created("/marketplace/orders", body)
    assert (order["status"], order["source"], order["sales_point_id"]) == ("new", "api", points[0]["id"])
    assert order["total_cents"] == 40_000_000 and order["currency"] == "KZT"
    assert order["items"][0] | {"product_id": None} == {
        "product_id": None,
        "sku": "PHONE-1",
        "name": "Phone",
        "quantity": 4,
        "price_cents": 10_000_000,
        "units_taken": 4,
    }
    assert stock_of(api, product["id"]) == {str(points[0]["id"]): 1, str(points[1]["id"]): 3}

    # Only the second point still holds 2 units: it is chosen.
    second = api.created(
        "/marketplace/orders", {**body, "items": [{"sku": "PHONE-1", "quantity": 2, "price_cents": 1}]}
    )
    assert second["sales_point_id"] == points[1]["id"] and second["total_cents"] == 2

    await worker.step()
    placed = [event for event in worker.events if event.type == ORDER_PLACED]
    assert [event.data["order_id"] for event in placed] == [order["id"], second["id"]]
    assert placed[0].client == "seller" and placed[0].source == "marketplace"
    assert placed[0].data | {"placed_at": None} == {
        "order_id": order["id"],
        "store_id": store["id"],
        "store_name": "Almaty Main",
        "customer_email": "aigerim@example.kz",
        "customer_name": "Aigerim Sadykova",
        "total_cents": 40_000_000,
        "currency": "KZT",
        "items": [{"sku": "PHONE-1", "name": "Phone", "quantity": 4, "price_cents": 10_000_000}],
        "placed_at": None,
    }

    path = f"/marketplace/orders/{order['id']}/status"
    wrong = api.post(path, {"status": "delivered"})
    assert (wrong.status_code, wrong.json()["code"]) == (409, "invalid_transition")
    for status in ("accepted", "shipped"):
        assert api.post(path, {"status": status}).json()["status"] == status
    cancelled = api.post(path, {"status": "cancelled"}).json()
    assert cancelled["status"] == "cancelled" and cancelled["items"][0]["units_taken"] == 0
    assert stock_of(api, product["id"])[str(points[0]["id"])] == 5
    assert api.post(path, {"status": "accepted"}).status_code == 409

    listed = api.get("/marketplace/orders?status=cancelled").json()
    assert listed["count"] == 1 and listed["results"][0]["id"] == order["id"]
    assert api.get(f"/marketplace/orders/{order['id']}", client="others").status_code == 404


def test_an_order_needs_the_stock_and_the_callers_catalogue(api: Any, shop: dict[str, Any]) -> None:
    store, points = shop["store"], shop["points"]
    too_many = {"store_id": store["id"], "sales_point_id": points[1]["id"], "customer": CUSTOMER}
    refused = api.post("/marketplace/orders", {**too_many, "items": [{"sku": "PHONE-1", "quantity": 4}]})
    assert (refused.status_code, refused.json()["code"]) == (409, "insufficient_stock")
    assert stock_of(api, shop["product"]["id"])[str(points[1]["id"])] == 3  # nothing taken

    unknown = api.post("/marketplace/orders", {**too_many, "items": [{"sku": "NOPE", "quantity": 1}]})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["loc"] == ["body", "items.0.sku"]
    theirs = api.post(
        "/marketplace/orders", {**too_many, "items": [{"sku": "PHONE-1", "quantity": 1}]}, client="others"
    )
    assert theirs.status_code == 422 and theirs.json()["errors"][0]["loc"] == ["body", "store_id"]
    empty = api.post("/marketplace/orders", {**too_many, "items": []})
    assert empty.status_code == 422
