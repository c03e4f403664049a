"""Issue 11, acceptance 4: an order synced from the sandbox marketplace becomes a visit in crm, in
the distributed mode.

A customer orders from the seller's store at the sandbox marketplace; `marketplace orders sync`
(the operator command, against the platform's databases and sandbox) records it and publishes
`marketplace.order.placed` from the outbox to RabbitMQ; crm's worker consumes it and records a
visit of the restaurant linked to that store, for the customer with the buyer's email.
"""

import subprocess
import time
from typing import Any

import httpx
import pytest

from quintet_platform.distributed import command

pytestmark = pytest.mark.e2e


def created(gateway: httpx.Client, headers: dict[str, str], target: str, body: dict[str, Any]) -> Any:
    answer = gateway.post(target, headers=headers, json=body)
    assert answer.status_code == 201, f"{target}: {answer.text}"
    return answer.json()


def until(predicate: Any, *, within: float, what: str) -> Any:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if result := predicate():
            return result
        time.sleep(0.2)
    raise AssertionError(f"{what} not within {within} s")


def test_a_marketplace_order_becomes_a_crm_visit(platform) -> None:
    gateway = platform.gateway
    registered = gateway.post(
        "/admin/clients",
        headers={"Authorization": f"Bearer {platform.admin_token}"},
        json={
            "code": "e2e-seller",
            "name": "E2E Seller",
            "services": ["marketplace", "crm"],
            "rate_limit_per_minute": 6000,
        },
    )
    assert registered.status_code == 201, registered.text
    app = {"X-App-Id": registered.json()["app_id"]}
    until(lambda: gateway.get("/marketplace/tenant", headers=app).status_code == 200, within=30, what="the client")

    store = created(
        gateway,
        app,
        "/marketplace/stores",
        {"name": "Almaty Main", "merchant_id": "E2E-M1", "city_id": "750000000", "api_token": "e2e-token"},
    )
    point = created(gateway, app, "/marketplace/sales-points", {"store_id": store["id"], "name": "PP1"})
    created(
        gateway,
        app,
        "/marketplace/products",
        {"sku": "KETTLE-1", "name": "Kettle", "price_cents": 1_500_000, "stock": {str(point["id"]): 3}},
    )
    links = [{"service": "marketplace", "store_id": str(store["id"])}]
    restaurant = created(
        gateway, app, "/crm/restaurants", {"name": "Almaty Kitchen", "timezone": "Asia/Almaty", "links": links}
    )

    sandbox = f"http://127.0.0.1:{platform.plan.port('sandbox')}/sandbox/marketplace"
    assert httpx.put(f"{sandbox}/merchants/E2E-M1", json={"apiToken": "e2e-token"}).status_code == 204
    order = {
        "merchantId": "E2E-M1",
        "customer": {"email": "Aigerim@Example.kz", "name": "Aigerim Sadykova"},
        "entries": [{"sku": "KETTLE-1", "quantity": 2, "price": 15_000}],
    }
    assert httpx.post(f"{sandbox}/orders", json=order).status_code == 201

    synced = subprocess.run(
        [command("marketplace"), "orders", "sync", "e2e-seller"],
        env=platform.plan.environment(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert synced.returncode == 0, synced.stdout + synced.stderr
    orders = gateway.get("/marketplace/orders", headers=app).json()
    assert [(o["source"], o["total_cents"]) for o in orders["results"]] == [("marketplace", 3_000_000)]

    def spent() -> list[dict[str, Any]]:
        page = gateway.get(f"/crm/customers?restaurant_id={restaurant['id']}", headers=app)
        assert page.status_code == 200, page.text
        customers = page.json()["results"]
        return customers if customers and customers[0]["total_spend_cents"] else []

    customers = until(spent, within=30, what="the crm visit")
    assert [(c["email"], c["total_spend_cents"]) for c in customers] == [("aigerim@example.kz", 3_000_000)]
    visits = gateway.get(f"/crm/visits?customer_id={customers[0]['id']}", headers=app).json()
    assert [(v["spend_cents"], v["source"]) for v in visits["results"]] == [(3_000_000, "marketplace")]
