"""Issue 10, point 6: `promotions.purchase.completed` and `marketplace.order.placed` become visits of
the restaurant linked to that store, the customer matched by email or created; the same event twice
(redelivered, or the same sale under a new message id) adds one visit. Driven through the kit's
idempotent consumer with crm's handlers, as the worker runs them, on both databases."""

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import Session

from crm.component import DEFINITION
from crm.models import Customer, Visit
from quintet_shared.envelope import Envelope
from quintet_shared.inbox import idempotent_handler

Api = Any  # conftest.Api
AT = datetime(2026, 3, 1, 19, 30, tzinfo=UTC)


def purchase(
    purchase_id: int, *, store_id: int = 12, email: str | None = "Ana@Example.com", client: str = "bistro"
) -> Envelope:
    data = {
        "purchase_id": purchase_id,
        "promo_id": 1,
        "store_id": store_id,
        "store_name": "Almaty Central",
        "product_id": 3,
        "product_name": "Paella",
        "user": "u-1",
        "email": email,
        "amount_cents": 4500,
        "currency": "EUR",
        "completed_at": AT.isoformat(),
        "a_field_added_later": True,
    }
    return Envelope.new(type="promotions.purchase.completed", source="promotions", client=client, data=data)


def order(order_id: str, *, email: str = "bea@example.com") -> Envelope:
    data = {
        "order_id": order_id,
        "store_id": "77",
        "store_name": "Kaspi shop",
        "customer_email": email,
        "customer_name": "Bea Lopez Garcia",
        "total_cents": 12_000,
        "currency": "KZT",
        "items": [{"sku": "A", "quantity": 1}],
        "placed_at": AT.isoformat(),
    }
    return Envelope.new(type="marketplace.order.placed", source="marketplace", client="bistro", data=data)


@pytest.fixture
def deliver(api: Api) -> Any:
    handle = idempotent_handler(api.engine, consumer="crm", handlers=DEFINITION.all_event_handlers())

    async def run(*envelopes: Envelope) -> None:
        await handle(list(envelopes))

    return run


@pytest.fixture
def linked(api: Api) -> dict[str, Any]:
    links = [{"service": "promotions", "store_id": "12"}, {"service": "marketplace", "store_id": "77"}]
    return api.created("/crm/restaurants", {"name": "La Bodega", "timezone": "Europe/Madrid", "links": links})


def visits(api: Api) -> list[tuple[str, int, str | None]]:
    with Session(api.engine) as session:
        query = select(Customer.email, Visit.spend_cents, Visit.source).join(Customer, Customer.id == Visit.customer)
        return sorted(tuple(row) for row in session.execute(query))


async def test_a_purchase_becomes_a_visit_of_a_new_customer_once(
    api: Api, deliver: Any, linked: dict[str, Any]
) -> None:
    event = purchase(501)
    await deliver(event)
    await deliver(event)  # redelivered: the inbox drops it
    await deliver(purchase(501))  # the same sale under a new message id: the visit's reference drops it
    assert visits(api) == [("ana@example.com", 4500, "promotions")]
    customer = api.ok(f"/crm/customers?restaurant_id={linked['id']}")["results"][0]
    assert (customer["total_spend_cents"], customer["last_visit_at"]) == (4500, "2026-03-01T19:30:00Z")


async def test_an_existing_customer_is_matched_by_email_and_totals_follow(
    api: Api, deliver: Any, linked: dict[str, Any]
) -> None:
    existing = api.created(
        "/crm/customers", {"restaurant": linked["id"], "email": "ana@example.com", "first_name": "Ana"}
    )
    api.created(f"/crm/customers/{existing['id']}/add_visit", {"spend_cents": 1000})
    await deliver(purchase(1), purchase(2))
    assert api.ok(f"/crm/customers/{existing['id']}")["total_spend_cents"] == 1000 + 2 * 4500
    assert api.ok("/crm/customers")["count"] == 1


async def test_a_marketplace_order_becomes_a_visit_with_the_buyers_name(
    api: Api, deliver: Any, linked: dict[str, Any]
) -> None:
    await deliver(order("K-1"), order("K-1"))
    customer = api.ok("/crm/customers")["results"][0]
    assert (customer["email"], customer["first_name"], customer["last_name"]) == (
        "bea@example.com",
        "Bea",
        "Lopez Garcia",
    )
    assert customer["total_spend_cents"] == 12_000


async def test_sales_with_nothing_to_record_are_ignored(api: Api, deliver: Any, linked: dict[str, Any]) -> None:
    await deliver(
        purchase(1, store_id=13),  # a store linked to no restaurant
        purchase(2, email=None),  # a buyer without an email
        purchase(3, email="not an email"),
        purchase(4, client="other"),  # another client's store 12
        Envelope.new(type="promotions.purchase.completed", source="promotions", client="bistro", data={"junk": 1}),
    )
    assert visits(api) == []
    await deliver(purchase(5))  # the consumer is still there for the next good one
    assert visits(api) == [("ana@example.com", 4500, "promotions")]
