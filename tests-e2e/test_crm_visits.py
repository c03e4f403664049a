"""Issue 10, acceptance 4: a purchase in promotions becomes a visit in crm, in the distributed mode.

Everything goes through the gateway: promotions publishes `promotions.purchase.completed` from its
outbox to RabbitMQ; crm's worker consumes it and records a visit of the restaurant linked to that
store, for the customer with the buyer's email (created here, as crm has never seen them).
"""

import time
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.e2e

STORE = {"name": "Madrid Centro", "latitude": 40.4168, "longitude": -3.7038, "timezone": "Europe/Madrid"}


def created(gateway: httpx.Client, headers: dict[str, str], target: str, body: dict[str, Any]) -> Any:
    answer = gateway.post(target, headers=headers, json=body)
    assert answer.status_code == 201, f"{target}: {answer.text}"
    return answer.json()


def test_a_promotions_purchase_becomes_a_crm_visit(platform) -> None:
    gateway = platform.gateway
    registered = gateway.post(
        "/admin/clients",
        headers={"Authorization": f"Bearer {platform.admin_token}"},
        json={
            "code": "e2e-bistro",
            "name": "E2E Bistro",
            "services": ["promotions", "crm"],
            "rate_limit_per_minute": 6000,
        },
    )
    assert registered.status_code == 201, registered.text
    app = {"X-App-Id": registered.json()["app_id"]}

    store = created(gateway, app, "/promotions/stores", STORE)
    product = created(
        gateway,
        app,
        "/promotions/products",
        {"store_id": store["id"], "name": "Paella", "regular_price_cents": 2000, "currency": "EUR"},
    )
    created(gateway, app, "/promotions/segments", {"name": "Locals"})
    profile = {"email": "Ana@Example.com", "latitude": 40.4170, "longitude": -3.7040, "segments": ["Locals"]}
    put = gateway.put("/promotions/profiles/ana", headers=app, json=profile)
    assert put.status_code in (200, 201), put.text
    promo = created(
        gateway,
        app,
        "/promotions/promos",
        {
            "product_id": product["id"],
            "promo_price_cents": 1500,
            "starts_at": "2020-01-01T00:00:00Z",
            "ends_at": "2100-01-01T00:00:00Z",
            "segments": ["Locals"],
        },
    )
    links = [{"service": "promotions", "store_id": str(store["id"])}]
    restaurant = created(
        gateway, app, "/crm/restaurants", {"name": "La Bodega", "timezone": "Europe/Madrid", "links": links}
    )

    hold = created(gateway, app, "/promotions/holds", {"promo_id": promo["id"], "user": "ana"})
    completed = gateway.post(f"/promotions/holds/{hold['id']}/complete", headers=app, json={"user": "ana"})
    assert completed.status_code in (200, 201), completed.text

    customers: list[dict[str, Any]] = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        page = gateway.get(f"/crm/customers?restaurant_id={restaurant['id']}", headers=app)
        assert page.status_code == 200, page.text
        customers = page.json()["results"]
        if customers and customers[0]["total_spend_cents"]:
            break
        time.sleep(0.2)
    assert [(c["email"], c["total_spend_cents"]) for c in customers] == [("ana@example.com", 1500)], customers
    assert customers[0]["last_visit_at"] is not None
    visits = gateway.get(f"/crm/visits?customer_id={customers[0]['id']}", headers=app).json()
    assert [(v["spend_cents"], v["source"]) for v in visits["results"]] == [(1500, "promotions")]
