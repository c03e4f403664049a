"""The job status route, with jobs run by the real runner, on SQLite and PostgreSQL."""

import asyncio
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import timedelta
from uuid import UUID, uuid4

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select
from sqlalchemy.engine import Engine

from quintet_shared.clock import FakeClock
from quintet_shared.db import session_scope
from quintet_shared.envelope import Envelope
from quintet_shared.errors import PROBLEM_JSON, install_problem_handlers
from quintet_shared.jobs import JobContext, JobOutcome, JobRunner, enqueue_job, jobs_router, purge_expired_jobs
from quintet_shared.settings import ComponentSettings
from quintet_shared.tables import job, outbox_message
from quintet_shared.testing.gateway import signed_headers

SERVICE = "acme"


@pytest.fixture
def http(engine: Engine) -> TestClient:
    app = FastAPI()
    app.state.settings = ComponentSettings()
    install_problem_handlers(app)
    app.include_router(jobs_router(SERVICE, lambda: engine))
    return TestClient(app)


def get_signed(http: TestClient, path: str, *, client: str = "potatoes") -> Response:
    app: FastAPI = http.app  # type: ignore[assignment]
    secret = app.state.settings.gateway_secret
    return http.get(path, headers=signed_headers(secret, method="GET", target=path, client=client))


def enqueue(engine: Engine, clock: FakeClock, *, client: str = "potatoes") -> tuple[UUID, Envelope]:
    with session_scope(engine) as session:
        queued = enqueue_job(session, service=SERVICE, kind="import", client=client, payload={"n": 3}, clock=clock)
    job_id = queued.job_id
    with engine.connect() as conn:
        bodies = conn.execute(select(outbox_message.c.body)).scalars()
        envelopes = [Envelope.decode(body.encode()) for body in bodies]
    return job_id, next(e for e in envelopes if e.data["job_id"] == str(job_id))


def deliver_in_background(runner: JobRunner, envelope: Envelope) -> Future[None]:
    """The runner on a loop of its own, as in a worker process, while the test polls over HTTP."""
    pool = ThreadPoolExecutor(max_workers=1)
    future = pool.submit(asyncio.run, runner.handler(envelope))
    pool.shutdown(wait=False)
    return future


def run_job(engine: Engine, clock: FakeClock, envelope: Envelope) -> None:
    runner = JobRunner(engine, service=SERVICE, functions={"import": lambda _: JobOutcome({"ok": True})}, clock=clock)
    deliver_in_background(runner, envelope).result(timeout=20)
    runner.close()


def test_a_job_is_pending_then_started_with_progress_then_succeeds(engine: Engine, clock: FakeClock, http) -> None:
    entered, release = threading.Event(), threading.Event()

    def slow_import(context: JobContext) -> JobOutcome:
        context.progress(1, context.payload["n"])
        entered.set()
        assert release.wait(timeout=20), "the test never released the job"
        clock.advance(timedelta(seconds=30))
        return JobOutcome(result={"imported": 3})

    job_id, envelope = enqueue(engine, clock)
    path = f"/{SERVICE}/jobs/{job_id}"
    pending = get_signed(http, path)
    assert pending.status_code == 200
    assert pending.json()["status"] == "PENDING"
    assert pending.json()["started_at"] is None

    runner = JobRunner(engine, service=SERVICE, functions={"import": slow_import}, clock=clock)
    running = deliver_in_background(runner, envelope)
    try:
        assert entered.wait(timeout=20)
        started = get_signed(http, path).json()
        assert started["status"] == "STARTED"
        assert started["progress"] == {"done": 1, "total": 3}
        assert started["started_at"].startswith("2026-03-01T10:00:00")
        assert started["finished_at"] is None
    finally:
        release.set()
        running.result(timeout=20)
        runner.close()

    body = get_signed(http, path).json()
    assert body["status"] == "SUCCESS"
    assert body["result"] == {"imported": 3}
    assert body["errors"] == []
    assert body["progress"] == {"done": 3, "total": 3}
    assert body["finished_at"].startswith("2026-03-01T10:00:30")
    assert body["kind"] == "import"
    assert body["job_id"] == str(job_id)


def test_an_id_that_never_existed_is_a_404_problem(engine: Engine, http) -> None:
    response = get_signed(http, f"/{SERVICE}/jobs/{uuid4()}")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert response.json()["status"] == 404


def test_another_clients_job_is_a_404_as_if_it_did_not_exist(engine: Engine, clock: FakeClock, http) -> None:
    job_id, _ = enqueue(engine, clock, client="potatoes")
    assert get_signed(http, f"/{SERVICE}/jobs/{job_id}", client="potatoes").status_code == 200
    other = get_signed(http, f"/{SERVICE}/jobs/{job_id}", client="tomatoes")
    assert other.status_code == 404
    assert other.headers["content-type"].startswith(PROBLEM_JSON)


def test_a_malformed_id_is_a_422_problem(engine: Engine, http) -> None:
    response = get_signed(http, f"/{SERVICE}/jobs/not-a-uuid")
    assert response.status_code == 422
    assert response.headers["content-type"].startswith(PROBLEM_JSON)


def test_an_unsigned_request_is_refused(engine: Engine, clock: FakeClock, http) -> None:
    job_id, _ = enqueue(engine, clock)
    assert http.get(f"/{SERVICE}/jobs/{job_id}", headers={"X-Client-Code": "potatoes"}).status_code == 401


def test_a_purged_job_answers_expired_and_keeps_nothing(engine: Engine, clock: FakeClock, http) -> None:
    old_id, old_event = enqueue(engine, clock)
    run_job(engine, clock, old_event)
    clock.advance(timedelta(days=6))
    recent_id, recent_event = enqueue(engine, clock)
    run_job(engine, clock, recent_event)
    pending_id, _ = enqueue(engine, clock)
    clock.advance(timedelta(days=2))

    with session_scope(engine) as session:
        assert purge_expired_jobs(session, now=clock(), retention=timedelta(days=7)) == 1

    expired = get_signed(http, f"/{SERVICE}/jobs/{old_id}")
    assert expired.status_code == 200
    assert expired.json()["status"] == "EXPIRED"
    assert expired.json()["result"] is None
    assert expired.json()["errors"] == []
    with engine.connect() as conn:
        row = conn.execute(select(job).where(job.c.id == old_id)).mappings().one()
    assert (row["payload"], row["result"], row["errors"]) == (None, None, None)
    assert get_signed(http, f"/{SERVICE}/jobs/{recent_id}").json()["status"] == "SUCCESS"
    assert get_signed(http, f"/{SERVICE}/jobs/{pending_id}").json()["status"] == "PENDING"


def test_the_route_is_documented_with_its_problems(http) -> None:
    operation = http.get("/openapi.json").json()["paths"][f"/{SERVICE}/jobs/{{job_id}}"]["get"]
    assert {"200", "401", "404", "422"} <= set(operation["responses"])
    assert PROBLEM_JSON in operation["responses"]["404"]["content"]
