"""Acceptance 2: 50 concurrent `add_visit` calls for one customer, through the gateway, end with the
exact sum; changing and deleting visits at once keeps it exact.

- Distributed mode on PostgreSQL: two API replicas, each a `crm serve` process of its own (its own
  connection pool), each behind a gateway of its own (the gateways share one client registry), the
  calls spread over both.
- Embedded mode on SQLite: the gateway and the service in one process, the service's threads
  taking turns on SQLite's write lock.
"""

import asyncio
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from crm.component import DEFINITION
from crm.models import Customer, Visit
from gateway.config import Settings as GatewaySettings
from gateway.main import create_app as create_gateway
from quintet_shared.db import make_engine
from quintet_shared.migrations import upgrade
from quintet_shared.settings import DEV_ADMIN_TOKEN
from quintet_shared.testing.replicas import gateways

CALLERS = 50


def gateway_for(tmp_path: Path) -> Any:
    """Gateways sharing one client registry, each in front of the upstreams it is given."""
    registry = GatewaySettings(database_url=f"sqlite:///{tmp_path / 'gateway.db'}")
    return lambda upstreams: create_gateway(registry, upstreams=upstreams, migrate=True)


@pytest.mark.parametrize(("mode", "database"), [("distributed", "postgres_url"), ("embedded", "sqlite_url")])
async def test_concurrent_visits_keep_the_total_exact(
    mode: str, database: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    database_url = request.getfixturevalue(database)
    upgrade(DEFINITION.migrations, database_url)
    serving = gateways(DEFINITION, mode, database_url, tmp_path, gateway=gateway_for(tmp_path))
    async with serving as urls, AsyncExitStack() as stack:
        limits = httpx.Limits(max_connections=CALLERS)
        calls = [
            await stack.enter_async_context(httpx.AsyncClient(base_url=url, timeout=60, limits=limits)) for url in urls
        ]
        app_id = await _register(calls[0])
        restaurant = await _created(calls[0], app_id, "/crm/restaurants", {"name": "La Bodega", "timezone": "UTC"})
        customer = await _created(
            calls[0], app_id, "/crm/customers", {"restaurant": restaurant["id"], "email": "ana@example.com"}
        )
        target = f"/crm/customers/{customer['id']}/add_visit"

        spends = [100 + i for i in range(CALLERS)]
        answers = await asyncio.gather(
            *(calls[i % len(calls)].post(target, headers=app_id, json={"spend_cents": s}) for i, s in enumerate(spends))
        )
        assert [answer.status_code for answer in answers] == [201] * CALLERS, [
            a.text for a in answers if a.status_code != 201
        ]
        assert (await _customer(calls[0], app_id, customer["id"]))["total_spend_cents"] == sum(spends)

        # Half the visits changed (+1000 each) and the other half deleted, all at once.
        visits = await _visits(calls[0], app_id, customer["id"])
        changed, deleted = visits[::2], visits[1::2]
        answers = await asyncio.gather(
            *(
                calls[i % len(calls)].patch(
                    f"/crm/visits/{v['id']}", headers=app_id, json={"spend_cents": v["spend_cents"] + 1000}
                )
                for i, v in enumerate(changed)
            ),
            *(calls[i % len(calls)].delete(f"/crm/visits/{v['id']}", headers=app_id) for i, v in enumerate(deleted)),
        )
        assert {answer.status_code for answer in answers} == {200, 204}, [
            a.text for a in answers if a.status_code >= 300
        ]
        expected = sum(v["spend_cents"] + 1000 for v in changed)
        assert (await _customer(calls[0], app_id, customer["id"]))["total_spend_cents"] == expected

    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            stored = session.get_one(Customer, customer["id"])
            summed = session.execute(select(func.sum(Visit.spend_cents)).where(Visit.customer == customer["id"]))
            assert stored.total_spend_cents == summed.scalar_one() == expected
    finally:
        engine.dispose()


async def _register(http: httpx.AsyncClient) -> dict[str, str]:
    admin = {"Authorization": f"Bearer {DEV_ADMIN_TOKEN}"}
    body = {"code": "bistro", "name": "Bistro", "services": ["crm"], "rate_limit_per_minute": 1_000_000}
    created = await http.post("/admin/clients", headers=admin, json=body)
    assert created.status_code == 201, created.text
    return {"X-App-Id": created.json()["app_id"]}


async def _created(http: httpx.AsyncClient, app_id: dict[str, str], target: str, body: dict[str, Any]) -> Any:
    answer = await http.post(target, headers=app_id, json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


async def _customer(http: httpx.AsyncClient, app_id: dict[str, str], id: int) -> Any:
    answer = await http.get(f"/crm/customers/{id}", headers=app_id)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def _visits(http: httpx.AsyncClient, app_id: dict[str, str], customer: int) -> list[dict[str, Any]]:
    answer = await http.get(f"/crm/visits?customer_id={customer}&page_size=500", headers=app_id)
    assert answer.status_code == 200, answer.text
    return answer.json()["results"]
