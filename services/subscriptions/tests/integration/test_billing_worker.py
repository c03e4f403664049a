"""Billing through two replicas of the real worker, as the distributed mode runs them: PostgreSQL,
RabbitMQ (its own namespace), the system clock, each worker's scheduler, relay and job runner on
their own loops, and the sandbox's billing provider over HTTP. Every subscriber added must be charged
once, within a slot of the billing schedule, whichever replica fired what."""

import asyncio
import time
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from quintet_shared.bus.memory import InMemoryBus
from quintet_shared.clock import system_clock
from quintet_shared.component import create_service_app
from quintet_shared.db import make_engine
from quintet_shared.migrations import upgrade
from quintet_shared.runtime import Runtime
from quintet_shared.tables import job
from quintet_shared.testing.bus_harness import BusUnderTest, eventually
from quintet_shared.worker import ComponentWorker
from subscriptions.billing_schedule import BILLING_EVERY, BILLING_JOB
from subscriptions.component import DEFINITION
from subscriptions.config import Settings

from .billing_harness import BillingProvider, billing, billing_sandbox
from .conftest import Api

__all__ = ["billing", "billing_sandbox"]  # fixtures, used by name

SUBSCRIBERS = [f"2547{n:08d}" for n in range(50)]


async def test_two_worker_replicas_charge_each_new_subscriber_once(
    postgres_url: str, amqp_url: str, bus_namespace: str, billing: BillingProvider
) -> None:
    upgrade(DEFINITION.migrations, postgres_url)
    settings = Settings(database_url=postgres_url, amqp_url=amqp_url, bus_namespace=bus_namespace)
    replicas = [Runtime.from_settings(settings, postgres_url) for _ in range(2)]
    workers = [ComponentWorker(DEFINITION, settings, runtime) for runtime in replicas]
    api_engine = make_engine(postgres_url)
    app = create_service_app(DEFINITION, settings, Runtime(engine=api_engine, bus=InMemoryBus()))
    stop = asyncio.Event()
    running: list[asyncio.Task[None]] = []
    try:
        for runtime in replicas:
            await runtime.start()
        running = [asyncio.create_task(worker.run(stop)) for worker in workers]
        with TestClient(app) as http:
            api = Api(http, api_engine, system_clock)  # type: ignore[arg-type]
            added_at = time.monotonic()
            await asyncio.to_thread(add_subscribers, api)
            within = BILLING_EVERY.total_seconds() + 20
            await eventually(lambda: len(billing.charged()) >= len(SUBSCRIBERS), within=within, interval=0.1)
            took = time.monotonic() - added_at
            await asyncio.sleep(1.5)  # a second charge would show by now
            assert sorted(billing.charged()) == SUBSCRIBERS
            shown = api.get(f"/subscriptions/subscriptions/{SUBSCRIBERS[0]}").json()
            assert shown["status"] == "active" and [c["status"] for c in shown["billing"]] == ["success"]
        with api_engine.connect() as conn:
            kinds = conn.execute(select(job.c.kind, job.c.status)).all()
        assert set(kinds) == {(BILLING_JOB, "SUCCESS")}
        assert took < within
    finally:
        stop.set()
        await asyncio.gather(*running, return_exceptions=True)
        for worker in workers:
            worker.job_runner.close()
        for runtime in replicas:
            await runtime.close()
        api_engine.dispose()
        queues = {"subscriptions.events", "subscriptions.jobs"}
        await BusUnderTest(bus=replicas[0].bus, delivery_limit=5, amqp_url=amqp_url, queues=queues).cleanup()


def add_subscribers(api: Any) -> None:
    for msisdn in SUBSCRIBERS:
        api.created("/subscriptions/subscriptions", {"msisdn": msisdn, "plan": "weekly", "latitude": 0, "longitude": 0})
