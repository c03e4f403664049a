"""The notification run through two replicas of the real worker, as the distributed mode runs them:
PostgreSQL, RabbitMQ (its own namespace), the system clock, each worker's scheduler, relay and job
runner on their own loops, and the sandbox's push provider over HTTP. The promo starts a second
after it is created; every user must get one message, whichever replica fired what."""

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from promotions.component import DEFINITION
from promotions.config import Settings
from quintet_shared.bus.memory import InMemoryBus
from quintet_shared.clock import system_clock
from quintet_shared.component import create_service_app
from quintet_shared.db import make_engine
from quintet_shared.geo import destination
from quintet_shared.migrations import upgrade
from quintet_shared.runtime import Runtime
from quintet_shared.tables import job
from quintet_shared.testing.bus_harness import BusUnderTest, eventually
from quintet_shared.worker import ComponentWorker

from .conftest import STORE, Api

USERS = [f"user-{n:03d}" for n in range(120)]


async def test_two_worker_replicas_notify_each_user_once_soon_after_the_start(
    postgres_url: str, amqp_url: str, bus_namespace: str, push: Any, monkeypatch: Any
) -> None:
    monkeypatch.setenv("PROMOTIONS_PUSH_BATCH_SIZE", "50")
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
            starts_at = await asyncio.to_thread(create_shop_and_promo, api)
            await eventually(lambda: len(push.received()) >= len(USERS), within=30, interval=0.05)
            took = time.time() - starts_at.timestamp()
            await asyncio.sleep(1.5)  # a second run, or a duplicate, would show by now
            assert push.users() == USERS
            stats = api.get("/promotions/promos/1/stats").json()
            assert stats["notified"] == len(USERS)
        with api_engine.connect() as conn:
            kinds = conn.execute(select(job.c.kind, job.c.status)).all()
        assert kinds == [("promo_notifications", "SUCCESS")]
        assert took < 10, f"the last message arrived {took:.1f} s after the start"
    finally:
        stop.set()
        await asyncio.gather(*running, return_exceptions=True)
        for worker in workers:
            worker.job_runner.close()
        for runtime in replicas:
            await runtime.close()
        api_engine.dispose()
        queues = {"promotions.events", "promotions.jobs"}
        await BusUnderTest(bus=replicas[0].bus, delivery_limit=5, amqp_url=amqp_url, queues=queues).cleanup()


def create_shop_and_promo(api: Api) -> datetime:
    store = api.created("/promotions/stores", STORE)
    product = api.created(
        "/promotions/products",
        {"store_id": store["id"], "name": "Headphones", "regular_price_cents": 100_000, "currency": "KZT"},
    )
    api.created("/promotions/segments", {"name": "New users"})
    for n, user in enumerate(USERS):
        latitude, longitude = destination(STORE["latitude"], STORE["longitude"], n * 3, 1.5)
        body = {"latitude": latitude, "longitude": longitude, "segments": ["New users"]}
        assert api.put(f"/promotions/profiles/{user}", body).status_code in (200, 201)
    starts_at = datetime.now(UTC) + timedelta(seconds=1)
    body = {
        "product_id": product["id"],
        "promo_price_cents": 59_900,
        "starts_at": starts_at.isoformat(),
        "ends_at": (starts_at + timedelta(hours=1)).isoformat(),
        "segments": ["New users"],
    }
    api.created("/promotions/promos", body)
    return starts_at
