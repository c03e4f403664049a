"""Defect 4, the kit's half: a busy database is 503 with Retry-After (never 500) for every service,
and a schedule meeting one logs a warning and fires on a later tick. On SQLite (another connection
holds the write lock) and PostgreSQL (another transaction holds the table's lock past lock_timeout)."""

import logging
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Field, Session

from quintet_shared.bus.memory import InMemoryBus
from quintet_shared.clock import FakeClock
from quintet_shared.component import ComponentDefinition, create_service_app
from quintet_shared.context import ClientDep
from quintet_shared.db import make_engine, model_base, session_scope
from quintet_shared.deps import SessionDep
from quintet_shared.envelope import Envelope
from quintet_shared.jobs import JobContext, JobOutcome, JobRunner, enqueue_job
from quintet_shared.runtime import Runtime
from quintet_shared.schedules import Periodic, Scheduler
from quintet_shared.settings import ComponentSettings
from quintet_shared.tables import job, kit_metadata
from quintet_shared.testing.gateway import signed_headers

MemoModel = model_base("MemoModel")
WAIT_SECONDS = 0.3  # the busy timeout (SQLite) or lock_timeout (PostgreSQL) of this test's engine


class Memo(MemoModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    client: str = Field(max_length=64)
    text: str = Field(max_length=200)


class MemoCreate(BaseModel):
    text: str


router = APIRouter()


@router.post("/memos/memos", status_code=201)
def create_memo(body: MemoCreate, client: ClientDep, session: SessionDep) -> dict[str, int]:
    memo = Memo(client=client.client_code, text=body.text)
    session.add(memo)
    session.commit()
    return {"id": memo.id or 0}


DEFINITION = ComponentDefinition(
    name="memos",
    title="Memos",
    port=8998,
    settings_class=ComponentSettings,
    metadata=MemoModel.metadata,
    migrations=Path("unused"),
    app_factory="unused",
    routers=[router],
)


def short_waiting_engine(url: str) -> Engine:
    if make_url(url).get_backend_name() == "sqlite":
        return make_engine(url, sqlite_busy_timeout=WAIT_SECONDS)
    return make_engine(url, connect_args={"options": f"-c lock_timeout={int(WAIT_SECONDS * 1000)}"})


@contextmanager
def write_lock_held(url: str) -> Iterator[None]:
    """Another connection holds the write lock on the `memo` table (SQLite: the whole file)."""
    if make_url(url).get_backend_name() == "sqlite":
        holder = sqlite3.connect(make_url(url).database, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            holder.rollback()
            holder.close()
        return
    engine = create_engine(url)
    with engine.connect() as conn:
        conn.execute(text("LOCK TABLE memo, schedule_state IN ACCESS EXCLUSIVE MODE"))
        try:
            yield
        finally:
            conn.rollback()
    engine.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = short_waiting_engine(database_url)
    MemoModel.metadata.create_all(engine)
    kit_metadata.create_all(engine)
    yield engine
    engine.dispose()


def test_defect_4_a_busy_database_is_503_with_retry_after(engine: Engine, database_url: str) -> None:
    app = create_service_app(DEFINITION, ComponentSettings(), Runtime(engine=engine, bus=InMemoryBus()))
    headers = signed_headers(ComponentSettings().gateway_secret, method="POST", target="/memos/memos", client="acme")
    with TestClient(app, raise_server_exceptions=False) as client:
        with write_lock_held(database_url):
            started = time.monotonic()
            response = client.post("/memos/memos", json={"text": "hello"}, headers=headers)
            elapsed = time.monotonic() - started
        assert response.status_code == 503, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["retry-after"] == "2"
        assert response.json()["detail"] == "The database is busy; try again in a moment."
        assert elapsed < WAIT_SECONDS + 2
        # Once the lock is gone, the same request goes through.
        assert client.post("/memos/memos", json={"text": "hello"}, headers=headers).status_code == 201


def test_defect_4_a_schedule_on_a_busy_database_warns_and_fires_later(
    engine: Engine, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    def add_memo(session: Session, _slot: datetime) -> None:
        session.execute(insert(Memo.__table__).values(client="acme", text="scheduled"))  # type: ignore[attr-defined]

    clock = FakeClock(datetime(2026, 3, 1, 10, 20, tzinfo=UTC))
    scheduler = Scheduler(engine, periodic=[Periodic("memo", timedelta(hours=1), add_memo)], clock=clock)
    with caplog.at_level(logging.WARNING, logger="quintet_shared.schedules"), write_lock_held(database_url):
        assert scheduler.tick() == []
    failures = [record for record in caplog.records if "schedule failed" in record.message]
    assert failures and all(record.levelno == logging.WARNING for record in failures)
    assert scheduler.tick() == ["memo"]  # the same slot, on the next tick


async def test_defect_4_a_job_meeting_a_busy_database_is_delivered_again_with_a_warning(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock(datetime(2026, 3, 1, 10, tzinfo=UTC))
    with session_scope(engine) as session:
        job_id = enqueue_job(session, service="memos", kind="import", client="acme", payload={}, clock=clock).job_id
    envelope = Envelope.new(type="memos.job.queued", source="memos", data={"job_id": str(job_id), "kind": "import"})

    def locked(_context: JobContext) -> JobOutcome:
        raise sqlite3.OperationalError("database is locked")

    runner = JobRunner(
        engine, service="memos", functions={"import": locked}, clock=clock, max_attempts=2, busy_backoff=0
    )
    with caplog.at_level(logging.WARNING, logger="quintet_shared.jobs.runner"):
        with pytest.raises(sqlite3.OperationalError):
            await runner.handler(envelope)  # raised: the bus delivers it again
        await runner.handler(envelope)  # the last attempt: the job fails, saying why
    assert {record.levelno for record in caplog.records if "job failed" in record.message} == {logging.WARNING}
    with engine.connect() as conn:
        row = conn.execute(select(job).where(job.c.id == job_id)).mappings().one()
    assert row["status"] == "FAILURE" and "database is busy" in row["errors"][0]["message"]
