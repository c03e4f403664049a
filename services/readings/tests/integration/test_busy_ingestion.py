"""Defect 4 on SQLite (embedded mode): one client's large ingestion no longer holds the database's
write lock while its file is parsed, so another client's upload and reads go through meanwhile.

The ingesting job's file is held half read (a gate in its chunk reader) with staged chunks behind
it, so the other client's requests run while that ingestion is certainly under way."""

import threading
import time
from collections.abc import Iterator
from uuid import UUID

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from quintet_shared.bus.memory import InMemoryBus
from quintet_shared.clock import FakeClock
from quintet_shared.component import create_service_app
from quintet_shared.db import make_engine
from quintet_shared.jobs import JobContext, JobOutcome
from quintet_shared.migrations import upgrade
from quintet_shared.runtime import Runtime
from quintet_shared.tables import job, outbox_message
from quintet_shared.testing.gateway import signed_headers
from readings.component import DEFINITION
from readings.config import Settings
from readings.ingestion import chunks
from readings.ingestion import job as ingest_job
from readings.ingestion.job import run_ingest_job
from readings.models import Reading
from readings.uploads import ChunkReader

POINTS, HALF_HOURS = 1000, 96  # 96,000 readings, 2 MB
PROMPTLY = 2.0  # seconds: well under the 5 s busy timeout, so no request waited for a lock


def carrots_file() -> bytes:
    lines = []
    for point in range(POINTS):
        lines.append(f"020|{point:022d}\n022|I{point:09d}|Maker|01\n")
        lines.extend(f"024|2023120{1 + code // 48}|{code % 48 + 1:02d}|0.50\n" for code in range(HALF_HOURS))
    return "".join(lines).encode()


class Gate:
    """Stops the ingesting job's reader half-way through the file until the test opens it."""

    def __init__(self, after_bytes: int) -> None:
        self.after_bytes = after_bytes
        self.reached = threading.Event()
        self.open = threading.Event()

    def reader(self) -> type[ChunkReader]:
        gate = self

        class GatedReader(ChunkReader):
            delivered = 0

            def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
                if self.delivered >= gate.after_bytes:
                    gate.reached.set()
                    gate.open.wait(timeout=60)
                size = super().readinto(buffer)
                self.delivered += size
                return size

        return GatedReader


@pytest.fixture
def engine(sqlite_url: str) -> Iterator[Engine]:
    upgrade(DEFINITION.migrations, sqlite_url)
    engine = make_engine(sqlite_url)
    yield engine
    engine.dispose()


@pytest.fixture
def api(engine: Engine, sqlite_url: str) -> Iterator[TestClient]:
    settings = Settings(database_url=sqlite_url)
    app = create_service_app(DEFINITION, settings, Runtime(engine=engine, bus=InMemoryBus()))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def signed(method: str, target: str, client: str) -> dict[str, str]:
    return signed_headers(DEFINITION.settings().gateway_secret, method=method, target=target, client=client)


def upload(api: TestClient, content: bytes, client: str):
    files = {"file": ("readings.txt", content, "text/plain")}
    return api.post("/readings/files", headers=signed("POST", "/readings/files", client), files=files)


def timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def test_defect_4_another_clients_upload_and_reads_go_through_during_a_large_ingestion(
    api: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    content = carrots_file()
    monkeypatch.setattr(chunks, "CHUNK_ROWS", 1000)  # many chunks staged before the gate
    gate = Gate(after_bytes=len(content) // 2)
    monkeypatch.setattr(ingest_job, "ChunkReader", gate.reader())
    accepted = upload(api, content, "carrots")
    assert accepted.status_code == 202, accepted.text
    job_id = accepted.json()["job_id"]
    outcome: list[JobOutcome] = []
    with Session(engine) as session:
        payload = session.execute(select(job.c.payload).where(job.c.id == UUID(job_id))).scalar_one()
    context = JobContext(UUID(job_id), "ingest_file", "carrots", payload, engine=engine, clock=FakeClock())
    context.progress_interval = 0  # every report saved
    ingesting = threading.Thread(target=lambda: outcome.append(run_ingest_job(context)))
    ingesting.start()
    try:
        assert gate.reached.wait(timeout=30), "the ingestion never got half-way"
        other, upload_seconds = timed(lambda: upload(api, b"[]", "potatoes"))
        assert other.status_code == 202, other.text
        read, read_seconds = timed(
            lambda: api.get("/readings/supply-points", headers=signed("GET", "/readings/supply-points", "potatoes"))
        )
        assert read.status_code == 200, read.text
        status_target = f"/readings/jobs/{job_id}"
        progress = api.get(status_target, headers=signed("GET", status_target, "carrots")).json()
        assert max(upload_seconds, read_seconds) < PROMPTLY
        # Progress is reported while the file is parsed, on SQLite too.
        assert 0 < progress["progress"]["done"] < len(content), progress
    finally:
        gate.open.set()
        ingesting.join(timeout=60)
    assert outcome and not outcome[0].failed, outcome
    assert outcome[0].result["new_readings"] == POINTS * HALF_HOURS
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Reading)).one() == POINTS * HALF_HOURS
        events = session.exec(select(outbox_message.c.type)).all()
    assert list(events).count("readings.file.ingested") == 1  # in the ingestion's own commit
