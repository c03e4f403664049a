"""What the billing tests share (imported by them; kept out of conftest.py, which the whole folder
loads): the sandbox's billing provider as a real HTTP server, a proxy that loses answers after the
provider has handled the request, and the subscriptions worker's parts stepped on a fake clock."""

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from quintet_shared.bus.memory import InMemoryBus
from quintet_shared.clock import FakeClock
from quintet_shared.envelope import Envelope
from quintet_shared.jobs import JobRunner
from quintet_shared.outbox import OutboxRelay
from quintet_shared.schedules import Scheduler
from quintet_shared.tables import job
from quintet_shared.testing.bus_harness import eventually
from quintet_shared.testing.thread_server import ThreadServer, serving
from sandbox.config import Settings as SandboxSettings
from sandbox.main import create_app as create_sandbox
from subscriptions.component import DEFINITION

AUTH_KEY = "test-billing-key"


@pytest.fixture(scope="session")
def billing_sandbox() -> Iterator[ThreadServer]:
    """The sandbox (its billing provider) served for real on a free port, for the whole session."""
    with serving(create_sandbox(SandboxSettings(billing_auth_key=AUTH_KEY))) as server:
        yield server


class BillingProvider:
    """The sandbox's billing provider as a test sees it: its §12 inspection and fault routes."""

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

    def charged(self) -> list[str]:
        """The msisdns charged successfully, once per charge."""
        return [item["msisdn"] for item in self.received() if item["status"] == "success"]

    def stats(self) -> dict[str, int]:
        return httpx.get(f"{self.url}/stats").json()


@pytest.fixture
def billing(billing_sandbox: ThreadServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[BillingProvider]:
    """The billing provider, emptied, with the service's settings pointing at it (short timeouts and
    transport backoff, so that a fault shows quickly)."""
    url = f"{billing_sandbox.url}/sandbox/billing"
    for name, value in {
        "SUBSCRIPTIONS_BILLING_URL": url,
        "SUBSCRIPTIONS_BILLING_AUTH_KEY": AUTH_KEY,
        "SUBSCRIPTIONS_BILLING_TIMEOUT_SECONDS": "2",
    }.items():
        monkeypatch.setenv(name, value)
    httpx.delete(f"{url}/received")
    yield BillingProvider(url)
    httpx.delete(f"{url}/received")


class LossyProxy:
    """A real HTTP hop in front of a provider that forwards each request and, while `losing` is
    above zero, withholds the provider's answer for `hold_seconds` (longer than the caller waits):
    the provider has handled the request, the caller never hears it. The network losing an answer."""

    def __init__(self, target: str, hold_seconds: float = 3.0) -> None:
        self.target = target.rstrip("/")
        self.hold_seconds = hold_seconds
        self.losing = 0
        self.forwarded = 0
        self.app = FastAPI()
        self.app.add_api_route("/{path:path}", self._forward, methods=["POST"])

    async def _forward(self, path: str, request: Request) -> Response:
        dropped = {"host", "content-length"}
        headers = {name: value for name, value in request.headers.items() if name.lower() not in dropped}
        async with httpx.AsyncClient() as http:
            answer = await http.post(f"{self.target}/{path}", content=await request.body(), headers=headers)
        self.forwarded += 1
        if self.losing > 0:
            self.losing -= 1
            await asyncio.sleep(self.hold_seconds)
        return Response(answer.content, status_code=answer.status_code, media_type="application/json")


@pytest.fixture
def lossy_billing(billing: BillingProvider, monkeypatch: pytest.MonkeyPatch) -> Iterator[LossyProxy]:
    """The billing provider behind a LossyProxy; the service calls the proxy, waiting 1 s at most."""
    proxy = LossyProxy(billing.url)
    with serving(proxy.app) as server:
        monkeypatch.setenv("SUBSCRIPTIONS_BILLING_URL", server.url)
        monkeypatch.setenv("SUBSCRIPTIONS_BILLING_TIMEOUT_SECONDS", "1")
        yield proxy


class Worker:
    """The subscriptions worker's parts, stepped by the test on its fake clock: the kit's scheduler,
    the outbox relay onto an in-process bus, and the job runner consuming `subscriptions.jobs` from
    it. Events the service publishes are kept in `events`."""

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

        await self.bus.consume("test.subscriptions", ["subscriptions.#"], keep)

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

    def of_type(self, type: str) -> list[dict[str, Any]]:
        return [event.data for event in self.events if event.type == type]

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
