"""Acceptance 1: 200 concurrent holds on a promo of 100 units, through the gateway, give exactly 100
holds and 100 `sold_out`; and a double tap (the same user at once, with or without one
Idempotency-Key) takes one unit.

- Distributed mode on PostgreSQL: two API replicas, each a `promotions serve` process of its own (its
  own connection pool), each behind a gateway of its own (the gateways share one client registry),
  the calls spread over both. (Two, not more: each replica may open 30 connections and the test
  server allows 100 in all.)
- Embedded mode on SQLite: the gateway and the service in one process, the service's threads
  taking turns on SQLite's write lock.
"""

import asyncio
from collections import Counter
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from gateway.config import Settings as GatewaySettings
from gateway.main import create_app as create_gateway
from promotions.component import DEFINITION
from promotions.models import Hold, Promo
from quintet_shared.db import make_engine
from quintet_shared.geo import destination
from quintet_shared.migrations import upgrade
from quintet_shared.settings import DEV_ADMIN_TOKEN
from quintet_shared.testing.replicas import gateways

ALMATY = (43.2380, 76.8829)
UNITS, CALLERS, REPLICAS = 100, 200, 2


def gateway_for(tmp_path: Path) -> Any:
    """Gateways sharing one client registry, each in front of the upstreams it is given."""
    registry = GatewaySettings(database_url=f"sqlite:///{tmp_path / 'gateway.db'}")
    return lambda upstreams: create_gateway(registry, upstreams=upstreams, migrate=True)


@pytest.mark.parametrize(("mode", "database"), [("distributed", "postgres_url"), ("embedded", "sqlite_url")])
async def test_200_concurrent_holds_on_100_units(
    mode: str, database: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    database_url = request.getfixturevalue(database)
    upgrade(DEFINITION.migrations, database_url)
    async with gateways(
        DEFINITION, mode, database_url, tmp_path, gateway=gateway_for(tmp_path), replicas=REPLICAS
    ) as urls:
        limits = httpx.Limits(max_connections=CALLERS)
        async with AsyncExitStack() as stack:
            calls = [
                await stack.enter_async_context(httpx.AsyncClient(base_url=url, timeout=60, limits=limits))
                for url in urls
            ]
            app_id = await _register(calls[0])
            product_id = await _shop(calls[0], app_id, users=CALLERS)
            promo_id = await _promo(calls[0], app_id, product_id, units=UNITS)

            answers = await asyncio.gather(
                *(
                    calls[i % len(calls)].post(
                        "/promotions/holds", headers=app_id, json={"promo_id": promo_id, "user": f"user-{i}"}
                    )
                    for i in range(CALLERS)
                )
            )
            outcomes = Counter(_outcome(answer) for answer in answers)
            assert outcomes == {201: UNITS, "sold_out": CALLERS - UNITS}, outcomes
            stats = (await calls[-1].get(f"/promotions/promos/{promo_id}/stats", headers=app_id)).json()
            assert (stats["units"], stats["held"], stats["sold"]) == (UNITS, UNITS, 0)

            await _double_taps(calls, app_id, product_id)

    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            promo = session.get_one(Promo, promo_id)
            holders = session.execute(select(func.count(func.distinct(Hold.user))).where(Hold.promo_id == promo_id))
            assert (promo.units_taken, holders.scalar_one()) == (UNITS, UNITS)
    finally:
        engine.dispose()


async def _double_taps(calls: list[httpx.AsyncClient], app_id: dict[str, str], product_id: int) -> None:
    """One user's taps at once, spread over the replicas: without a key one hold and `already_held`
    for the rest; with one key the same 201 for all (replays), one unit taken."""
    promo_id = await _promo(calls[0], app_id, product_id, units=10)
    body = {"promo_id": promo_id, "user": "user-0"}
    taps = await asyncio.gather(
        *(calls[i % len(calls)].post("/promotions/holds", headers=app_id, json=body) for i in range(20))
    )
    assert Counter(_outcome(tap) for tap in taps) == {201: 1, "already_held": 19}

    keyed = {**app_id, "Idempotency-Key": "user-1-tap"}
    body = {"promo_id": promo_id, "user": "user-1"}
    taps = await asyncio.gather(
        *(calls[i % len(calls)].post("/promotions/holds", headers=keyed, json=body) for i in range(20))
    )
    assert {(tap.status_code, tap.json().get("id")) for tap in taps} == {(201, taps[0].json().get("id"))}, [
        tap.text for tap in taps
    ]
    assert sum(tap.headers.get("Idempotent-Replayed") == "true" for tap in taps) == 19
    stats = (await calls[0].get(f"/promotions/promos/{promo_id}/stats", headers=app_id)).json()
    assert stats["held"] == 2


def _outcome(answer: httpx.Response) -> Any:
    if answer.status_code == 201:
        return 201
    assert answer.status_code == 409, answer.text
    return answer.json()["code"]


async def _register(http: httpx.AsyncClient) -> dict[str, str]:
    admin = {"Authorization": f"Bearer {DEV_ADMIN_TOKEN}"}
    body = {"code": "shop", "name": "Shop", "services": ["promotions"], "rate_limit_per_minute": 1_000_000}
    created = await http.post("/admin/clients", headers=admin, json=body)
    assert created.status_code == 201, created.text
    return {"X-App-Id": created.json()["app_id"]}


async def _created(http: httpx.AsyncClient, app_id: dict[str, str], target: str, body: dict[str, Any]) -> Any:
    answer = await http.post(target, headers=app_id, json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


async def _shop(http: httpx.AsyncClient, app_id: dict[str, str], *, users: int) -> int:
    """A store, its product (the id returned), a segment, and users user-0… within 2 km of the store."""
    store = {"name": "Almaty Central", "latitude": ALMATY[0], "longitude": ALMATY[1], "timezone": "Asia/Almaty"}
    store_id = (await _created(http, app_id, "/promotions/stores", store))["id"]
    product = {"store_id": store_id, "name": "Headphones", "regular_price_cents": 100_000, "currency": "KZT"}
    product_id = (await _created(http, app_id, "/promotions/products", product))["id"]
    await _created(http, app_id, "/promotions/segments", {"name": "New users"})
    for start in range(0, users, 50):
        puts = []
        for i in range(start, min(start + 50, users)):
            latitude, longitude = destination(*ALMATY, (i * 7) % 360, 0.5 + (i % 10) / 10)
            body = {"latitude": latitude, "longitude": longitude, "segments": ["New users"]}
            puts.append(http.put(f"/promotions/profiles/user-{i}", headers=app_id, json=body))
        assert {answer.status_code for answer in await asyncio.gather(*puts)} == {201}
    return product_id


async def _promo(http: httpx.AsyncClient, app_id: dict[str, str], product_id: int, *, units: int) -> int:
    """A promo running now for "New users" within 2 km."""
    body = {
        "product_id": product_id,
        "promo_price_cents": 59_900,
        "starts_at": "2020-01-01T00:00:00Z",
        "ends_at": "2100-01-01T00:00:00Z",
        "segments": ["New users"],
        "units": units,
    }
    return (await _created(http, app_id, "/promotions/promos", body))["id"]
