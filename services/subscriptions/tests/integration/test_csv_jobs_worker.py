"""The CSV jobs as a client sees them: queued through the outbox, run by the kit's job runner on the
in-process bus, polled at GET /subscriptions/jobs/{id} (status, progress, result, row errors)."""

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from quintet_shared.bus.memory import InMemoryBus
from quintet_shared.clock import FakeClock
from quintet_shared.jobs import JobRunner
from quintet_shared.outbox import OutboxRelay
from quintet_shared.tables import job
from quintet_shared.testing.bus_harness import eventually
from subscriptions.component import DEFINITION


class Worker:
    """The job runner consuming `subscriptions.jobs` from an in-process bus fed by the outbox relay."""

    def __init__(self, engine: Engine, clock: FakeClock) -> None:
        self.engine = engine
        self.bus = InMemoryBus()
        self.runner = JobRunner(engine, service=DEFINITION.name, functions=DEFINITION.jobs, clock=clock)
        self.relay = OutboxRelay(engine, self.bus, clock=clock)

    async def drain(self) -> None:
        while await self.relay.relay_once():
            pass
        await eventually(self._no_job_unfinished)

    def _no_job_unfinished(self) -> bool:
        unfinished = select(func.count()).where(job.c.status.in_(["PENDING", "STARTED"]))
        with self.engine.connect() as conn:
            return conn.execute(unfinished).scalar_one() == 0


@pytest.fixture
async def worker(engine: Engine, clock: FakeClock) -> AsyncIterator[Worker]:
    stepped = Worker(engine, clock)
    await stepped.bus.start()
    await stepped.bus.consume(stepped.runner.queue, stepped.runner.bindings, stepped.runner.handler)
    yield stepped
    await stepped.bus.close()
    stepped.runner.close()


async def test_an_upload_is_a_job_that_ends_in_success_with_its_counts_and_row_errors(
    api: Any, files: Any, worker: Worker
) -> None:
    accepted = files.upload("forecasts", "gid,lat,lon,fcat24,fcat48\n1,0,0,Sunny,Rain\n2,91,0,x,y\n")
    assert accepted.status_code == 202
    body = accepted.json()
    assert body["status"] == "PENDING" and body["status_url"] == f"/subscriptions/jobs/{body['job_id']}"
    assert api.get(body["status_url"]).json()["status"] == "PENDING"
    await worker.drain()
    status = api.get(body["status_url"]).json()
    assert (status["kind"], status["status"]) == ("import_csv", "SUCCESS")
    assert status["progress"]["done"] == status["progress"]["total"] > 0
    assert status["result"]["created"] == 1 and status["result"]["status"] == "PARTIAL"
    assert status["errors"] == [{"line": 3, "message": "lat '91' is not a number from -90 to 90"}]


async def test_a_file_that_cannot_be_read_ends_in_failure_with_the_reason(api: Any, files: Any, worker: Worker) -> None:
    accepted = files.upload("updates", "msisdn,ts,lat\n254700000001,2026-03-02 09:00:00,1\n")
    await worker.drain()
    status = api.get(accepted.json()["status_url"]).json()
    assert status["status"] == "FAILURE"
    assert status["errors"][0]["line"] == 1 and "the header lacks lon" in status["errors"][0]["message"]
