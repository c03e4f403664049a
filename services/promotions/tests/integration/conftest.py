"""Fixtures shared by the promotions integration tests: the service over a migrated test database
(SQLite and PostgreSQL), on a clock that moves only when told, called as the gateway would; the
sandbox's push provider on a free port; the worker's parts, stepped on the same clock."""

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from promotions.component import DEFINITION
from quintet_shared.bus.memory import InMemoryBus
from quintet_shared.clock import FakeClock
from quintet_shared.component import create_service_app
from quintet_shared.db import make_engine
from quintet_shared.envelope import Envelope
from quintet_shared.jobs import JobRunner
from quintet_shared.migrations import upgrade
from quintet_shared.outbox import OutboxRelay
from quintet_shared.runtime import Runtime
from quintet_shared.schedules import Scheduler
from quintet_shared.tables import job
from quintet_shared.testing.bus_harness import eventually
from quintet_shared.testing.gateway import signed_headers
from quintet_shared.testing.thread_server import ThreadServer, serving
from sandbox.config import Settings as SandboxSettings
from sandbox.main import create_app as create_sandbox

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """The test database, migrated to the promotions service's latest revision."""
    upgrade(DEFINITION.migrations, database_url)
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


class Api:
    """The promotions API called with the gateway's signed headers, as client `promos` by default."""

    def __init__(self, http: TestClient, engine: Engine, clock: FakeClock) -> None:
        self.http, self.engine, self.clock = http, engine, clock
        self.secret = DEFINITION.settings().gateway_secret

    def call(
        self,
        method: str,
        target: str,
        *,
        client: str = "promos",
        json: Any = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        signed = signed_headers(self.secret, method=method, target=target, client=client)
        return self.http.request(method, target, headers={**signed, **(headers or {})}, json=json, **kwargs)

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


@pytest.fixture
def api(engine: Engine, clock: FakeClock) -> Iterator[Api]:
    runtime = Runtime(engine=engine, bus=InMemoryBus(), clock=clock)
    app = create_service_app(DEFINITION, DEFINITION.settings(), runtime)
    with TestClient(app, raise_server_exceptions=False) as http:
        yield Api(http, engine, clock)


STORE = {"name": "Almaty Central", "latitude": 43.2380, "longitude": 76.8829, "timezone": "Asia/Almaty"}


@pytest.fixture
def shop(api: Api) -> dict[str, Any]:
    """Client `promos`: one store, one product at 100,000 KZT cents, segments "New users" and
    "Frequent buyers"."""
    store = api.created("/promotions/stores", STORE)
    product = api.created(
        "/promotions/products",
        {"store_id": store["id"], "name": "Headphones", "regular_price_cents": 100_000, "currency": "KZT"},
    )
    for name in ("New users", "Frequent buyers"):
        api.created("/promotions/segments", {"name": name, "description": f"{name} of the marketplace"})
    return {"store": store, "product": product}


def _promo_body(product: int, /, **changes: Any) -> dict[str, Any]:
    """A promo running at NOW (09:00 to 12:00 UTC) for "New users" within 2 km."""
    body = {
        "product_id": product,
        "promo_price_cents": 59_900,
        "starts_at": "2026-03-02T09:00:00Z",
        "ends_at": "2026-03-02T12:00:00Z",
        "segments": ["New users"],
    }
    return {**body, **changes}


@pytest.fixture
def new_promo(api: Api, shop: dict[str, Any]) -> Any:
    def create(**changes: Any) -> dict[str, Any]:
        return api.created("/promotions/promos", _promo_body(shop["product"]["id"], **changes))

    return create


@pytest.fixture
def promo_body() -> Any:
    """promo_body(product_id, **changes): a promo running at NOW (09:00 to 12:00 UTC) for "New users"."""
    return _promo_body


PUSH_TOKEN = "test-push-token"


@pytest.fixture(scope="session")
def push_sandbox() -> Iterator[ThreadServer]:
    """The sandbox (its push provider) served for real on a free port, for the whole session."""
    with serving(create_sandbox(SandboxSettings(push_token=PUSH_TOKEN))) as server:
        yield server


class PushProvider:
    """The sandbox's push provider as a test sees it: its §12 inspection and fault routes."""

    def __init__(self, url: str) -> None:
        self.url = url

    def behave(self, **behaviour: Any) -> None:
        assert httpx.put(f"{self.url}/behaviour", json=behaviour).status_code == 200

    def received(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        after = 0
        while True:
            page = httpx.get(f"{self.url}/received", params={"after": after, "limit": 1000}).json()
            if not page["items"]:
                return items
            items += page["items"]
            after = page["last_seq"]

    def users(self) -> list[str]:
        """Who received a message, once per message, sorted."""
        return sorted(item["user"] for item in self.received())

    def stats(self) -> dict[str, int]:
        return httpx.get(f"{self.url}/stats").json()


@pytest.fixture
def push(push_sandbox: ThreadServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[PushProvider]:
    """The push provider, emptied, with the service's settings pointing at it (fast retries: one try
    per round, so that a failure shows in the notification rows)."""
    url = f"{push_sandbox.url}/sandbox/push"
    for name, value in {
        "PROMOTIONS_PUSH_URL": url,
        "PROMOTIONS_PUSH_TOKEN": PUSH_TOKEN,
        "PROMOTIONS_PUSH_ATTEMPTS": "1",
        "PROMOTIONS_PUSH_TIMEOUT_SECONDS": "2",
    }.items():
        monkeypatch.setenv(name, value)
    httpx.delete(f"{url}/received")
    yield PushProvider(url)
    httpx.delete(f"{url}/received")


class Worker:
    """The promotions worker's parts, stepped by the test on its fake clock: the kit's scheduler (its
    one-shot tasks and periodic schedules), the outbox relay onto an in-process bus, and the job
    runner consuming `promotions.jobs` from it. Events the service publishes are kept in `events`."""

    def __init__(self, engine: Engine, clock: FakeClock) -> None:
        self.engine = engine
        self.bus = InMemoryBus()
        self.scheduler = Scheduler(
            engine, periodic=DEFINITION.periodic, one_shot_actions=DEFINITION.one_shot, clock=clock
        )
        self.runner = JobRunner(engine, service=DEFINITION.name, functions=DEFINITION.jobs, clock=clock)
        self.relay = OutboxRelay(engine, self.bus, clock=clock)
        self.events: list[Envelope] = []

    async def start(self) -> None:
        await self.bus.start()
        await self.bus.consume(self.runner.queue, self.runner.bindings, self.runner.handler)

        async def keep(envelope: Envelope) -> None:
            self.events.append(envelope)

        await self.bus.consume("test.promotions", ["promotions.#"], keep)

    async def close(self) -> None:
        await self.bus.close()
        self.runner.close()

    async def step(self) -> list[str]:
        """One scheduler tick, then relay and run jobs until nothing is left to do; what fired."""
        fired = await asyncio.to_thread(self.scheduler.tick)
        while True:
            relayed = await self.relay.relay_once()
            await eventually(self._no_job_unfinished)
            if relayed == 0:
                return fired

    def _no_job_unfinished(self) -> bool:
        unfinished = select(func.count()).where(job.c.status.in_(["PENDING", "STARTED"]))
        with self.engine.connect() as conn:
            return conn.execute(unfinished).scalar_one() == 0

    def jobs(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(job).order_by(job.c.created_at)).mappings().all()
        return [dict(row) for row in rows]


@pytest.fixture
async def worker(engine: Engine, clock: FakeClock) -> AsyncIterator[Worker]:
    stepped = Worker(engine, clock)
    await stepped.start()
    yield stepped
    await stepped.close()
