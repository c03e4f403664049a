"""Fixtures shared by the marketplace integration tests: the service over a migrated test database
(SQLite and PostgreSQL), on a clock that moves only when told, called as the gateway would; the
worker's parts (outbox relay onto an in-process bus, job runner), stepped by the test."""

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from marketplace.component import DEFINITION
from quintet_shared.bus.memory import InMemoryBus
from quintet_shared.clock import FakeClock
from quintet_shared.component import create_service_app
from quintet_shared.db import make_engine
from quintet_shared.envelope import Envelope
from quintet_shared.jobs import JobRunner
from quintet_shared.migrations import upgrade
from quintet_shared.outbox import OutboxRelay
from quintet_shared.runtime import Runtime
from quintet_shared.tables import job
from quintet_shared.testing.bus_harness import eventually
from quintet_shared.testing.gateway import signed_headers
from quintet_shared.testing.thread_server import serving
from sandbox.config import Settings as SandboxSettings
from sandbox.main import create_app as create_sandbox

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
CLIENT = "seller"


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """The test database, migrated to the marketplace service's latest revision."""
    upgrade(DEFINITION.migrations, database_url)
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


class Api:
    """The marketplace API called with the gateway's signed headers, as client `seller` by default."""

    def __init__(self, http: TestClient, engine: Engine, clock: FakeClock) -> None:
        self.http, self.engine, self.clock = http, engine, clock
        self.secret = DEFINITION.settings().gateway_secret

    def call(
        self, method: str, target: str, *, client: str = CLIENT, json: Any = None, **kwargs: Any
    ) -> httpx.Response:
        headers = {
            **signed_headers(self.secret, method=method, target=target, client=client),
            **kwargs.pop("headers", {}),
        }
        return self.http.request(method, target, headers=headers, json=json, **kwargs)

    def get(self, target: str, **kwargs: Any) -> httpx.Response:
        return self.call("GET", target, **kwargs)

    def post(self, target: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        return self.call("POST", target, json=json, **kwargs)

    def put(self, target: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        return self.call("PUT", target, json=json, **kwargs)

    def patch(self, target: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        return self.call("PATCH", target, json=json, **kwargs)

    def delete(self, target: str, **kwargs: Any) -> httpx.Response:
        return self.call("DELETE", target, **kwargs)

    def created(self, target: str, json: Any, **kwargs: Any) -> dict[str, Any]:
        """POST that must answer 201; its body."""
        response = self.post(target, json, **kwargs)
        assert response.status_code == 201, response.text
        return response.json()

    def public_get(self, target: str) -> httpx.Response:
        """A public path, as the gateway forwards it: signed, client `-`."""
        return self.http.get(target, headers=signed_headers(self.secret, method="GET", target=target, client="-"))


@pytest.fixture
def api(engine: Engine, clock: FakeClock) -> Iterator[Api]:
    runtime = Runtime(engine=engine, bus=InMemoryBus(), clock=clock)
    app = create_service_app(DEFINITION, DEFINITION.settings(), runtime)
    with TestClient(app, raise_server_exceptions=False) as http:
        yield Api(http, engine, clock)


STORE = {"name": "Almaty Main", "merchant_id": "M-1001", "city_id": "750000000", "api_token": "token-of-m1001"}


@pytest.fixture
def shop(api: Api) -> dict[str, Any]:
    """Client `seller`: one store with two sales points, one product with 5 + 3 units."""
    store = api.created("/marketplace/stores", STORE)
    points = [
        api.created("/marketplace/sales-points", {"store_id": store["id"], "name": name, "address": f"{name} st. 1"})
        for name in ("PP1", "PP2")
    ]
    product = api.created(
        "/marketplace/products",
        {
            "sku": "PHONE-1",
            "name": "Phone",
            "category": "Phones",
            "marketplace_product_id": "100200300",
            "price_cents": 10_000_000,
            "min_price_cents": 9_000_000,
            "max_price_cents": 12_000_000,
            "step_cents": 100,
            "repricing": True,
            "stock": {str(points[0]["id"]): 5, str(points[1]["id"]): 3},
        },
    )
    return {"store": store, "points": points, "product": product}


class Worker:
    """The marketplace worker's parts, stepped by the test: the outbox relay onto an in-process bus
    and the job runner consuming `marketplace.jobs` from it. Events it publishes are kept in `events`."""

    def __init__(self, engine: Engine, clock: FakeClock) -> None:
        self.engine = engine
        self.bus = InMemoryBus()
        self.runner = JobRunner(engine, service=DEFINITION.name, functions=DEFINITION.jobs, clock=clock)
        self.relay = OutboxRelay(engine, self.bus, clock=clock)
        self.events: list[Envelope] = []

    async def start(self) -> None:
        await self.bus.start()
        await self.bus.consume(self.runner.queue, self.runner.bindings, self.runner.handler)

        async def keep(envelope: Envelope) -> None:
            self.events.append(envelope)

        await self.bus.consume("test.marketplace", ["marketplace.#"], keep)

    async def close(self) -> None:
        await self.bus.close()
        self.runner.close()

    async def step(self) -> None:
        """Relay and run jobs until nothing is left to do."""
        while True:
            relayed = await self.relay.relay_once()
            await eventually(self._no_job_unfinished)
            if relayed == 0:
                return

    def jobs(self, kind: str) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(job).where(job.c.kind == kind).order_by(job.c.created_at)).mappings().all()
        return [dict(row) for row in rows]

    def _no_job_unfinished(self) -> bool:
        unfinished = select(func.count()).where(job.c.status.in_(["PENDING", "STARTED"]))
        with self.engine.connect() as conn:
            return conn.execute(unfinished).scalar_one() == 0


@pytest.fixture
async def worker(engine: Engine, clock: FakeClock) -> AsyncIterator[Worker]:
    stepped = Worker(engine, clock)
    await stepped.start()
    yield stepped
    await stepped.close()


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Any]:
    """The sandbox served for real on a free port, for the whole session."""
    with serving(create_sandbox(SandboxSettings())) as server:
        yield server


class MarketplaceSandbox:
    """The sandbox's marketplace provider as a test sees it: merchants' tokens, customers' orders."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.orders_url = f"{url}/shop/api"

    def give_token(self, merchant_id: str, token: str) -> None:
        assert httpx.put(f"{self.url}/merchants/{merchant_id}", json={"apiToken": token}).status_code == 204

    def order(self, merchant_id: str, entries: list[dict[str, Any]], *, at: datetime, **extra: Any) -> dict[str, Any]:
        body = {
            "merchantId": merchant_id,
            "customer": {"email": "aigerim@example.kz", "name": "Aigerim Sadykova"},
            "entries": entries,
            "creationDate": int(at.timestamp() * 1000),
            **extra,
        }
        response = httpx.post(f"{self.url}/orders", json=body)
        assert response.status_code == 201, response.text
        return response.json()

    def behave(self, **behaviour: Any) -> None:
        assert httpx.put(f"{self.url}/behaviour", json=behaviour).status_code == 200


@pytest.fixture
def market(sandbox: Any) -> Iterator[MarketplaceSandbox]:
    url = f"{sandbox.url}/sandbox/marketplace"
    httpx.delete(f"{url}/received")
    yield MarketplaceSandbox(url)
    httpx.delete(f"{url}/received")
