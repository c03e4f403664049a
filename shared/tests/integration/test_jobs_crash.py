"""Acceptance: a worker killed in the middle of a job → the job is redelivered and finishes.

Real processes on RabbitMQ and PostgreSQL: the first worker is SIGKILLed while its job runs (it
never acked), and a second worker, started afterwards, receives the same message and finishes it.
"""

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from quintet_shared.bus.rabbit import RabbitBus
from quintet_shared.db import make_engine, session_scope
from quintet_shared.jobs import enqueue_job
from quintet_shared.outbox import OutboxRelay
from quintet_shared.tables import job, kit_metadata
from quintet_shared.testing.bus_harness import BusUnderTest, eventually, started

WORKER = Path(__file__).with_name("jobs_worker.py")
SERVICE = "acme"  # the worker's service


@pytest.fixture
def engine(postgres_url: str) -> Iterator[Engine]:
    engine = make_engine(postgres_url)
    kit_metadata.create_all(engine)
    yield engine
    engine.dispose()


class Workers:
    """The worker processes of one test; whatever happens, none survives it."""

    def __init__(self, workdir: Path, **options: str) -> None:
        self.workdir = workdir
        self.options = options
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self, mode: str) -> subprocess.Popen[bytes]:
        command = [sys.executable, str(WORKER), "--mode", mode, "--workdir", str(self.workdir)]
        for name, value in self.options.items():
            command += [f"--{name.replace('_', '-')}", value]
        log = (self.workdir / f"worker-{len(self.processes)}.log").open("wb")
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    def marker(self, name: str, process: subprocess.Popen[bytes]) -> Path:
        return self.workdir / f"{name}-{process.pid}"

    def logs(self) -> str:
        return "\n".join(path.read_text(errors="replace") for path in sorted(self.workdir.glob("worker-*.log")))

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=10)


def job_row(engine: Engine, job_id: UUID) -> Any:
    with engine.connect() as conn:
        return conn.execute(select(job).where(job.c.id == job_id)).mappings().one()


async def test_a_job_whose_worker_is_killed_mid_run_is_redelivered_and_finishes(
    engine: Engine, postgres_url: str, amqp_url: str, bus_namespace: str, tmp_path: Path
) -> None:
    workers = Workers(tmp_path, database_url=postgres_url, amqp_url=amqp_url, namespace=bus_namespace)
    relay_bus = RabbitBus(amqp_url, namespace=bus_namespace)
    async with started(BusUnderTest(relay_bus, 5, amqp_url, queues={f"{SERVICE}.jobs"})):
        try:
            first = workers.start("hang")
            # The worker declares and binds the queue before the job is published, or it would be unroutable.
            await eventually(lambda: workers.marker("ready", first).exists() or first.poll() is not None, within=30)
            assert first.poll() is None, workers.logs()

            with session_scope(engine) as session:
                queued = enqueue_job(session, service=SERVICE, kind="import", client="potatoes", payload={})
            assert await OutboxRelay(engine, relay_bus).relay_once() == 1
            await eventually(lambda: workers.marker("started", first).exists(), within=30)
            assert job_row(engine, queued.job_id)["status"] == "STARTED"

            first.kill()  # SIGKILL: no ack, no cleanup, no goodbye
            assert first.wait(timeout=10) == -9
            assert job_row(engine, queued.job_id)["status"] == "STARTED"

            second = workers.start("finish")
            await eventually(lambda: job_row(engine, queued.job_id)["status"] not in {"PENDING", "STARTED"}, within=30)
        finally:
            workers.stop_all()

    row = job_row(engine, queued.job_id)
    assert row["status"] == "SUCCESS", workers.logs()
    assert row["attempts"] == 2
    assert row["result"] == {"finished_by": second.pid}
    assert workers.marker("started", second).read_text() == "attempt 2"
    assert row["finished_at"] >= row["started_at"] > datetime(2020, 1, 1, tzinfo=UTC)
