"""Fixtures shared by the crm integration tests: the service over a migrated test database (SQLite
and PostgreSQL), on a clock that moves only when told, called as the gateway would; the job runner
stepped by the test."""

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from crm.component import DEFINITION
from quintet_shared.bus.memory import InMemoryBus
from quintet_shared.clock import FakeClock
from quintet_shared.component import create_service_app
from quintet_shared.db import make_engine
from quintet_shared.jobs import JobRunner
from quintet_shared.migrations import upgrade
from quintet_shared.outbox import OutboxRelay
from quintet_shared.runtime import Runtime
from quintet_shared.tables import job
from quintet_shared.testing.bus_harness import eventually
from quintet_shared.testing.gateway import signed_headers

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """The test database, migrated to the crm service's latest revision."""
    upgrade(DEFINITION.migrations, database_url)
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


class Api:
    """The crm API called with the gateway's signed headers, as client `bistro` by default."""

    def __init__(self, http: TestClient, engine: Engine, clock: FakeClock) -> None:
        self.http, self.engine, self.clock = http, engine, clock
        self.secret = DEFINITION.settings().gateway_secret

    def call(
        self, method: str, target: str, *, client: str = "bistro", json: Any = None, **kwargs: Any
    ) -> httpx.Response:
        headers = signed_headers(self.secret, method=method, target=target, client=client)
        return self.http.request(method, target, headers=headers, json=json, **kwargs)

    def get(self, target: str, **kwargs: Any) -> httpx.Response:
        return self.call("GET", target, **kwargs)

    def post(self, target: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        return self.call("POST", target, json=json, **kwargs)

    def patch(self, target: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        return self.call("PATCH", target, json=json, **kwargs)

    def delete(self, target: str, **kwargs: Any) -> httpx.Response:
        return self.call("DELETE", target, **kwargs)

    def created(self, target: str, json: Any, **kwargs: Any) -> dict[str, Any]:
        """POST that must answer 201; its body."""
        response = self.post(target, json, **kwargs)
        assert response.status_code == 201, response.text
        return response.json()

    def ok(self, target: str, **kwargs: Any) -> Any:
        """GET that must answer 200; its body."""
        response = self.get(target, **kwargs)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
def api(engine: Engine, clock: FakeClock) -> Iterator[Api]:
    runtime = Runtime(engine=engine, bus=InMemoryBus(), clock=clock)
    app = create_service_app(DEFINITION, DEFINITION.settings(), runtime)
    with TestClient(app, raise_server_exceptions=False) as http:
        yield Api(http, engine, clock)


@pytest.fixture
def restaurant(api: Api) -> dict[str, Any]:
    """Client `bistro`'s restaurant in Madrid."""
    return api.created("/crm/restaurants", {"name": "La Bodega", "timezone": "Europe/Madrid"})


@pytest.fixture
def new_customer(api: Api, restaurant: dict[str, Any]) -> Any:
    def create(email: str, **fields: Any) -> dict[str, Any]:
        body = {"restaurant": restaurant["id"], "email": email, "first_name": "Ana", "last_name": "Diaz", **fields}
        return api.created("/crm/customers", body)

    return create


class Jobs:
    """The crm worker's job runner on an in-process bus, stepped by the test: the outbox relay
    publishes the queued jobs, the runner runs them."""

    def __init__(self, engine: Engine, clock: FakeClock) -> None:
        self.engine = engine
        self.bus = InMemoryBus()
        self.runner = JobRunner(engine, service=DEFINITION.name, functions=DEFINITION.jobs, clock=clock)
        self.relay = OutboxRelay(engine, self.bus, clock=clock)

    async def start(self) -> None:
        await self.bus.start()
        await self.bus.consume(self.runner.queue, self.runner.bindings, self.runner.handler)

    async def close(self) -> None:
        await self.bus.close()
        self.runner.close()

    async def run_all(self) -> None:
        while await self.relay.relay_once():
            pass
        await eventually(self._none_unfinished)

    def _none_unfinished(self) -> bool:
        unfinished = select(func.count()).where(job.c.status.in_(["PENDING", "STARTED"]))
        with self.engine.connect() as conn:
            return conn.execute(unfinished).scalar_one() == 0


@pytest.fixture
async def jobs(engine: Engine, clock: FakeClock) -> AsyncIterator[Jobs]:
    runner = Jobs(engine, clock)
    await runner.start()
    yield runner
    await runner.close()
