"""The subscriptions worker's parts stepped by a test on its fake clock, shared by the billing and
daily-SMS tests (imported by them; kept out of conftest.py, which the whole folder loads)."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
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
from subscriptions.component import DEFINITION


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
            await eventually(self._no_job_unfinished, within=60)
            if relayed == 0:
                return fired

    def of_type(self, type: str) -> list[dict[str, Any]]:
        return [event.data for event in self.events if event.type == type]

    def _no_job_unfinished(self) -> bool:
        unfinished = select(func.count()).where(job.c.status.in_(["PENDING", "STARTED"]))
        with self.engine.connect() as conn:
            return conn.execute(unfinished).scalar_one() == 0

    def jobs(self, kind: str | None = None) -> list[dict[str, Any]]:
        """The jobs queued, oldest first: all of them, or those of one kind."""
        query = select(job).order_by(job.c.created_at)
        if kind is not None:
            query = query.where(job.c.kind == kind)
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [dict(row) for row in rows]


@pytest.fixture
async def worker(engine: Engine, clock: FakeClock) -> AsyncIterator[Worker]:
    stepped = Worker(engine, clock)
    await stepped.start()
    yield stepped
    await stepped.close()
