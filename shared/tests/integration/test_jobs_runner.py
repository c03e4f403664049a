"""The job runner's delivery rules, on SQLite and PostgreSQL: what each delivery does to a job."""

import asyncio
import threading
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from quintet_shared.bus.memory import InMemoryBus
from quintet_shared.clock import FakeClock
from quintet_shared.db import session_scope
from quintet_shared.envelope import Envelope
from quintet_shared.jobs import JobContext, JobFunc, JobOutcome, JobRunner, enqueue_job
from quintet_shared.metrics import Metrics
from quintet_shared.outbox import OutboxRelay
from quintet_shared.tables import job, outbox_message

SERVICE = "acme"


class Calls:
    """A job function that records its calls and does what the test scripts it to do."""

    def __init__(self, *steps: JobOutcome | Exception) -> None:
        self.steps = list(steps)
        self.attempts: list[int] = []

    def __call__(self, context: JobContext) -> JobOutcome:
        self.attempts.append(context.attempt)
        step = self.steps.pop(0) if len(self.steps) > 1 else self.steps[0]
        if isinstance(step, Exception):
            raise step
        return step


def enqueue(engine: Engine, clock: FakeClock, kind: str = "import") -> tuple[UUID, Envelope]:
    with session_scope(engine) as session:
        job_id = enqueue_job(session, service=SERVICE, kind=kind, client="potatoes", payload={}, clock=clock).job_id
    with engine.connect() as conn:
        body = conn.execute(select(outbox_message.c.body).order_by(outbox_message.c.id.desc())).scalars().first()
    assert body is not None
    return job_id, Envelope.decode(body.encode())


def job_row(engine: Engine, job_id: UUID) -> Any:
    with engine.connect() as conn:
        return conn.execute(select(job).where(job.c.id == job_id)).mappings().one()


def runner_for(engine: Engine, clock: FakeClock, function: JobFunc, **options: Any) -> JobRunner:
    return JobRunner(engine, service=SERVICE, functions={"import": function}, clock=clock, **options)


def test_enqueue_adds_the_job_and_its_event_in_the_callers_transaction(engine: Engine, clock: FakeClock) -> None:
    with session_scope(engine) as session:
        enqueue_job(session, service=SERVICE, kind="import", client="potatoes", payload={}, clock=clock)
        session.rollback()  # the use case failed after queueing: neither the job nor its event remains
    with engine.connect() as conn:
        assert conn.execute(select(job)).first() is None
        assert conn.execute(select(outbox_message)).first() is None

    job_id, envelope = enqueue(engine, clock)
    assert envelope.type == "acme.job.queued"
    assert envelope.client == "potatoes"
    assert envelope.data == {"job_id": str(job_id), "kind": "import"}
    assert job_row(engine, job_id)["status"] == "PENDING"


async def test_a_finished_jobs_duplicate_delivery_changes_nothing(engine: Engine, clock: FakeClock) -> None:
    calls = Calls(JobOutcome({"rows": 1}))
    runner = runner_for(engine, clock, calls)
    job_id, envelope = enqueue(engine, clock)
    await runner.handler(envelope)
    first = dict(job_row(engine, job_id))
    clock.advance(timedelta(minutes=5))  # a second run would show in finished_at
    await runner.handler(envelope)
    assert calls.attempts == [1]
    assert dict(job_row(engine, job_id)) == first
    assert first["status"] == "SUCCESS"
    runner.close()


async def test_a_failing_function_is_redelivered_then_fails_after_max_attempts(
    engine: Engine, clock: FakeClock
) -> None:
    calls = Calls(RuntimeError("disk full"))
    runner = runner_for(engine, clock, calls, max_attempts=3)
    job_id, envelope = enqueue(engine, clock)
    for attempt in (1, 2):
        with pytest.raises(RuntimeError):
            await runner.handler(envelope)
        assert job_row(engine, job_id)["status"] == "STARTED"
        assert job_row(engine, job_id)["attempts"] == attempt
    await runner.handler(envelope)  # the last attempt fails for good instead of going round again
    row = job_row(engine, job_id)
    assert (row["status"], row["attempts"]) == ("FAILURE", 3)
    assert "gave up after 3 attempts" in row["errors"][0]["message"]
    assert "disk full" not in str(row["errors"])  # internals stay in the logs
    assert calls.attempts == [1, 2, 3]
    runner.close()


async def test_a_job_whose_worker_died_on_the_last_attempt_fails_without_running(
    engine: Engine, clock: FakeClock
) -> None:
    calls = Calls(JobOutcome())
    runner = runner_for(engine, clock, calls, max_attempts=2)
    job_id, envelope = enqueue(engine, clock)
    with engine.begin() as conn:  # two deliveries that started and never reported back
        conn.execute(update(job).where(job.c.id == job_id).values(status="STARTED", attempts=2))
    await runner.handler(envelope)
    row = job_row(engine, job_id)
    assert (row["status"], row["attempts"]) == ("FAILURE", 2)  # attempts counts runs: this one never ran
    assert row["errors"] == [{"line": None, "message": "The worker stopped while running it 2 times."}]
    assert calls.attempts == []
    runner.close()


async def test_a_job_that_failed_once_succeeds_on_redelivery(engine: Engine, clock: FakeClock) -> None:
    calls = Calls(RuntimeError("flaky"), JobOutcome({"ok": True}))
    runner = runner_for(engine, clock, calls)
    job_id, envelope = enqueue(engine, clock)
    with pytest.raises(RuntimeError):
        await runner.handler(envelope)
    await runner.handler(envelope)
    row = job_row(engine, job_id)
    assert (row["status"], row["attempts"], row["result"]) == ("SUCCESS", 2, {"ok": True})
    runner.close()


async def test_an_unknown_kind_fails_with_a_clear_error(engine: Engine, clock: FakeClock) -> None:
    runner = runner_for(engine, clock, Calls(JobOutcome()))
    job_id, envelope = enqueue(engine, clock, kind="export")
    await runner.handler(envelope)
    row = job_row(engine, job_id)
    assert row["status"] == "FAILURE"
    assert "no job of kind 'export'" in row["errors"][0]["message"]
    runner.close()


async def test_a_failed_outcome_keeps_its_line_errors_and_progress(engine: Engine, clock: FakeClock) -> None:
    def import_with_bad_lines(context: JobContext) -> JobOutcome:
        context.progress(4, 10)
        return JobOutcome({"imported": 3}, errors=[{"line": 2, "message": "bad date"}], failed=True)

    runner = runner_for(engine, clock, import_with_bad_lines, metrics=(metrics := Metrics("acme")))
    job_id, envelope = enqueue(engine, clock)
    await runner.handler(envelope)
    row = job_row(engine, job_id)
    assert (row["status"], row["result"]) == ("FAILURE", {"imported": 3})
    assert row["errors"] == [{"line": 2, "message": "bad date"}]
    assert (row["progress_done"], row["progress_total"]) == (4, 10)
    assert metrics.jobs.labels("import", "FAILURE")._value.get() == 1
    runner.close()


async def test_a_function_returning_something_else_is_a_failure_not_a_success(engine: Engine, clock: FakeClock) -> None:
    runner = runner_for(engine, clock, lambda _context: None, max_attempts=1)  # type: ignore[arg-type,return-value]
    job_id, envelope = enqueue(engine, clock)
    await runner.handler(envelope)
    assert job_row(engine, job_id)["status"] == "FAILURE"
    runner.close()


async def wait_for_status(engine: Engine, job_id: UUID, status: str, timeout: float = 10.0) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while (row := job_row(engine, job_id))["status"] != status:
        assert asyncio.get_running_loop().time() < deadline, f"job stayed {row['status']}, never {status}"
        await asyncio.sleep(0.02)
    return row


@pytest.mark.parametrize(
    ("steps", "final", "attempts"),
    [
        ([RuntimeError("boom"), RuntimeError("boom"), JobOutcome({"ok": True})], "SUCCESS", 3),
        ([RuntimeError("boom")], "FAILURE", 3),
    ],
    ids=["succeeds-on-the-third-delivery", "fails-for-good-within-the-delivery-limit"],
)
async def test_through_the_outbox_and_the_bus_a_failing_job_is_delivered_again(
    engine: Engine, clock: FakeClock, steps: list[JobOutcome | Exception], final: str, attempts: int
) -> None:
    calls = Calls(*steps)
    runner = runner_for(engine, clock, calls, max_attempts=3)
    bus = InMemoryBus(delivery_limit=3)
    await bus.start()
    await bus.consume(runner.queue, runner.bindings, runner.handler)
    job_id, _ = enqueue(engine, clock)
    assert await OutboxRelay(engine, bus, clock=clock).relay_once() == 1
    row = await wait_for_status(engine, job_id, final)
    assert row["attempts"] == attempts
    assert calls.attempts == [1, 2, 3]
    assert await bus.dead_letters(runner.queue) == []  # the job ended before the bus gave up on it
    await bus.close()
    runner.close()


async def test_deliveries_beyond_the_concurrency_wait_unclaimed(engine: Engine, clock: FakeClock) -> None:
    entered, release = threading.Event(), threading.Event()

    def blocking(context: JobContext) -> JobOutcome:
        entered.set()
        assert release.wait(timeout=20)
        return JobOutcome()

    runner = runner_for(engine, clock, blocking, concurrency=1)
    (first_id, first), (second_id, second) = enqueue(engine, clock), enqueue(engine, clock)
    running = [asyncio.create_task(runner.handler(first)), asyncio.create_task(runner.handler(second))]
    try:
        assert await asyncio.to_thread(entered.wait, 20)
        await asyncio.sleep(0.05)  # room for the second delivery to (wrongly) claim its job
        assert job_row(engine, first_id)["status"] == "STARTED"
        assert (job_row(engine, second_id)["status"], job_row(engine, second_id)["attempts"]) == ("PENDING", 0)
    finally:
        release.set()
        await asyncio.wait_for(asyncio.gather(*running), timeout=20)
    assert {job_row(engine, job_id)["status"] for job_id in (first_id, second_id)} == {"SUCCESS"}
    runner.close()
