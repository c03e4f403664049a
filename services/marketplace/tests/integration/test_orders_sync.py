"""Orders synced from the sandbox marketplace's orders API (a real HTTP server), on SQLite and
PostgreSQL: pages of the JSON:API answer, each order recorded once however often the sync runs, stock
taken, `marketplace.order.placed` published; a refused token and a failing API are errors that change
nothing; `marketplace orders sync <client>` prints its summary."""

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import insert
from typer.testing import CliRunner

from marketplace.cli import app
from marketplace.config import Settings
from marketplace.events import ORDER_PLACED
from marketplace.order_sync import sync_store
from marketplace.orders_api import OrdersApi, OrdersApiError
from marketplace.orders_schedule import SYNC_JOB, queue_order_syncs
from quintet_shared.db import session_scope
from quintet_shared.tables import tenant

from .conftest import NOW


def settings_for(market: Any, **changes: Any) -> Settings:
    return Settings(orders_url=market.orders_url, orders_page_size=2, **changes)


def sync(api: Any, market: Any, store_id: int, **changes: Any) -> Any:
    client = OrdersApi(market.orders_url, attempts=2, sleep=lambda _: None)
    try:
        return sync_store(
            api.engine, store_id=store_id, settings=settings_for(market, **changes), api=client, clock=api.clock
        )
    finally:
        client.close()


async def test_a_sync_records_each_new_order_once(api: Any, worker: Any, shop: dict[str, Any], market: Any) -> None:
    store, points, product = shop["store"], shop["points"], shop["product"]
    market.give_token("M-1001", "token-of-m1001")
    market.give_token("M-OTHER", "token-of-someone-else")
    market.order("M-OTHER", [{"sku": "PHONE-1", "quantity": 1, "price": 1}], at=NOW - timedelta(hours=1))
    placed = [
        market.order(
            "M-1001",
            [{"sku": "PHONE-1", "quantity": 1, "price": 99_000, "name": "Phone"}],
            at=NOW - timedelta(hours=3 - n),
        )
        for n in range(3)
    ]
    market.order(
        "M-1001",
        [{"sku": "PHONE-1", "quantity": 2, "price": 98_000}, {"sku": "UNKNOWN-SKU", "quantity": 1, "price": 500}],
        at=NOW - timedelta(minutes=5),
        pickupPointId="PP2",
    )

    first = sync(api, market, store["id"])
    assert (first.pages, first.seen, first.recorded) == (2, 4, 4)
    again = sync(api, market, store["id"])
    assert again.recorded == 0  # the overlap lists the last order again: it is known

    orders = api.get("/marketplace/orders").json()
    assert orders["count"] == 4
    newest = orders["results"][0]
    assert (newest["source"], newest["status"], newest["sales_point_id"]) == ("marketplace", "new", points[1]["id"])
    assert newest["total_cents"] == 2 * 9_800_000 + 50_000 and newest["customer_email"] == "aigerim@example.kz"
    assert [(i["sku"], i["product_id"] is not None, i["units_taken"]) for i in newest["items"]] == [
        ("PHONE-1", True, 2),
        ("UNKNOWN-SKU", False, 0),
    ]
    assert {o["marketplace_order_id"] for o in orders["results"]} >= {p["id"] for p in placed}
    stock = api.get(f"/marketplace/products/{product['id']}").json()["stock"]
    assert stock == {str(points[0]["id"]): 2, str(points[1]["id"]): 1}

    await worker.step()
    events = [event for event in worker.events if event.type == ORDER_PLACED]
    assert len(events) == 4 and {event.data["store_name"] for event in events} == {"Almaty Main"}
    assert api.get(f"/marketplace/stores/{store['id']}").json()["orders_synced_until"] is not None


def test_a_refused_token_or_a_failing_api_changes_nothing(api: Any, shop: dict[str, Any], market: Any) -> None:
    store = shop["store"]
    with pytest.raises(OrdersApiError, match="refused the store's API token"):
        sync(api, market, store["id"])  # the sandbox knows no token for M-1001
    market.give_token("M-1001", "token-of-m1001")
    market.order("M-1001", [{"sku": "PHONE-1", "quantity": 1, "price": 99_000}], at=NOW - timedelta(hours=1))
    market.behave(failure_rate=1.0)
    with pytest.raises(OrdersApiError, match="answered 503"):
        sync(api, market, store["id"])
    assert api.get("/marketplace/orders").json()["count"] == 0
    assert api.get(f"/marketplace/stores/{store['id']}").json()["orders_synced_until"] is None


def test_the_operator_command_syncs_a_client(
    api: Any, shop: dict[str, Any], market: Any, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with session_scope(api.engine) as session:
        session.execute(
            insert(tenant).values(
                code="seller", name="Seller", services=["marketplace"], active=1, registered_at=NOW, updated_at=NOW
            )
        )
    market.give_token("M-1001", "token-of-m1001")
    market.order(
        "M-1001", [{"sku": "PHONE-1", "quantity": 1, "price": 99_000}], at=NOW
    )  # real now: looked back 14 days... see below
    monkeypatch.setenv("MARKETPLACE_DATABASE_URL", database_url)
    monkeypatch.setenv("MARKETPLACE_ORDERS_URL", market.orders_url)
    monkeypatch.setenv("MARKETPLACE_ORDERS_FIRST_SYNC_DAYS", "365")
    result = CliRunner().invoke(app, ["orders", "sync", "seller"])
    assert result.exit_code == 0, result.output
    assert "new orders" in result.output and "Traceback" not in result.output
    assert api.get("/marketplace/orders").json()["count"] == 1

    unknown = CliRunner().invoke(app, ["orders", "sync", "nobody"])
    assert unknown.exit_code == 2 and "knows no client" in unknown.output


async def test_the_schedule_queues_a_sync_per_client_and_the_job_syncs(
    api: Any, worker: Any, shop: dict[str, Any], market: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MARKETPLACE_ORDERS_URL", market.orders_url)
    market.give_token("M-1001", "token-of-m1001")
    market.order("M-1001", [{"sku": "PHONE-1", "quantity": 1, "price": 99_000}], at=NOW - timedelta(hours=1))
    api.created("/marketplace/stores", {"name": "No token", "merchant_id": "M-2", "city_id": "1"})
    for _ in range(2):  # the second slot finds the first job still queued: one job
        with session_scope(api.engine) as session:
            queue_order_syncs(session, NOW)
    await worker.step()
    jobs = worker.jobs(SYNC_JOB)
    assert len(jobs) == 1 and jobs[0]["status"] == "SUCCESS", jobs
    assert jobs[0]["result"]["recorded"] == 1 and len(jobs[0]["result"]["stores"]) == 1
    assert api.get("/marketplace/orders").json()["count"] == 1
