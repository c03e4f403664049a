"""Acceptance (issue 7): a job whose worker died is taken up again in embedded mode too, or failed
with the reason; never STARTED forever. Real worker processes on the in-process bus, whose messages
die with them, over SQLite and PostgreSQL."""

import subprocess
import sys
from pathlib import Path
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.engine import Engine

from quintet_shared.db import session_scope
from quintet_shared.jobs import enqueue_job
from quintet_shared.jobs.recovery import recover_orphaned_jobs
from quintet_shared.tables import job

WORKER = Path(__file__).with_name("jobs_embedded_worker.py")
MAX_ATTEMPTS = 2  # the worker process's (jobs_embedded_worker.py), so that few processes are started


def run_worker(database_url: str, mode: str) -> int:
    """One embedded process, to its end (a crash, or no job left to run)."""
    command = [sys.executable, str(WORKER), "--database-url", database_url, "--mode", mode, "--lifetime", "20"]
    command += ["--max-attempts", str(MAX_ATTEMPTS)]
    return subprocess.run(command, capture_output=True, timeout=60, check=False).returncode


def queue_job(engine: Engine) -> UUID:
    with session_scope(engine) as session:
        return enqueue_job(session, service="acme", kind="import", client="potatoes", payload={}).job_id


def job_row(engine: Engine, job_id: UUID) -> Any:
    with engine.connect() as connection:
        return connection.execute(select(job).where(job.c.id == job_id)).mappings().one()


def test_a_job_whose_embedded_worker_died_is_run_again_by_the_next_process(engine: Engine, database_url: str) -> None:
    job_id = queue_job(engine)
    assert run_worker(database_url, "crash") == 3
    assert job_row(engine, job_id)["status"] == "STARTED"  # its message died with the process

    assert run_worker(database_url, "finish") == 0
    row = job_row(engine, job_id)
    assert (row["status"], row["attempts"], row["result"]["attempt"]) == ("SUCCESS", 2, 2)


def test_a_job_that_keeps_killing_its_worker_fails_with_the_reason(engine: Engine, database_url: str) -> None:
    job_id = queue_job(engine)
    exits = []
    for _ in range(MAX_ATTEMPTS + 3):
        exits.append(run_worker(database_url, "crash"))
        if job_row(engine, job_id)["status"] not in {"PENDING", "STARTED"}:
            break
    row = job_row(engine, job_id)
    assert exits == [3] * MAX_ATTEMPTS + [0]  # a crash per attempt, then a process that fails it and stops
    assert row["status"] == "FAILURE" and row["attempts"] == MAX_ATTEMPTS
    assert row["errors"] == [{"line": None, "message": f"The worker stopped while running it {MAX_ATTEMPTS} times."}]


def test_a_job_whose_event_is_still_unsent_is_left_to_the_relay(engine: Engine) -> None:
    job_id = queue_job(engine)  # its queued event waits in the outbox: the relay will send it
    with session_scope(engine) as session:
        counts = recover_orphaned_jobs(
            session, service="acme", max_attempts=MAX_ATTEMPTS, now=job_row(engine, job_id)["created_at"]
        )
    assert counts == {"requeued": 0, "failed": 0}
