"""The consumer of `<service>.jobs`: runs each queued job once to its end, surviving crashes.

Delivery is at least once, so the runner is built around redelivery: a finished job's message is a
duplicate and is acked untouched; a job whose function raised is re-raised so the bus delivers it
again; a worker that dies mid-job never acked, so the broker hands the job to another worker (on the
in-process bus, whose messages die with the process, `recover_orphans` queues it again). Every
delivery counts an attempt on the row, and past `max_attempts` the job fails for good. Keep
`max_attempts` at or below the bus's delivery limit, or the message reaches the dead-letter queue
while the job still reads STARTED.
"""

import asyncio
import contextvars
import logging
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, cast
from uuid import UUID

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.engine import Engine

from quintet_shared.busy import BUSY_DETAIL, RETRY_AFTER_SECONDS, failure_level, is_busy
from quintet_shared.clock import Clock, system_clock
from quintet_shared.db import session_scope
from quintet_shared.envelope import Envelope
from quintet_shared.jobs.context import JobContext, JobFunc, JobOutcome
from quintet_shared.jobs.models import FINISHED, JobError, JobStatus, job_errors
from quintet_shared.jobs.recovery import recover_orphaned_jobs, stopped_worker
from quintet_shared.jobs.store import queued_event_type
from quintet_shared.logs import client_var, request_id_var
from quintet_shared.metrics import Metrics
from quintet_shared.tables import job

log = logging.getLogger(__name__)

FINISH_TRIES = 5


@dataclass(frozen=True)
class _Claim:
    job_id: UUID
    kind: str
    client: str
    payload: dict[str, Any]
    attempts: int
    correlation_id: str | None


class JobRunner:
    def __init__(
        self,
        engine: Engine,
        *,
        service: str,
        functions: Mapping[str, JobFunc],
        max_attempts: int = 5,
        clock: Clock = system_clock,
        metrics: Metrics | None = None,
        concurrency: int = 4,
        busy_backoff: float = RETRY_AFTER_SECONDS,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.engine = engine
        self.service = service
        self.functions = dict(functions)
        self.max_attempts = max_attempts
        self.clock = clock
        self.metrics = metrics
        self.busy_backoff = busy_backoff
        self.queue = f"{service}.jobs"
        self.bindings = [queued_event_type(service)]
        # Jobs get threads of their own: long jobs in the default executor would starve the short
        # database calls of the outbox relay and the scheduler that share it.
        self.concurrency = concurrency
        self._executor = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix=f"{service}-job")
        # Deliveries beyond `concurrency` wait here, before their job is claimed: they stay PENDING
        # (not STARTED while queued in this process), and a crash costs them no attempt.
        self._slots = asyncio.Semaphore(concurrency)

    async def handler(self, envelope: Envelope) -> None:
        """The bus handler: returning acks the message, raising has it delivered again."""
        job_id = _job_id(envelope)
        if job_id is None:
            log.error("job event without a valid job id; ignored", extra={"message_id": str(envelope.id)})
            return
        async with self._slots:
            await self._handle(job_id, envelope.correlation_id)

    async def _handle(self, job_id: UUID, correlation_id: str | None) -> None:
        claim = await asyncio.to_thread(self._claim, job_id, correlation_id)
        if claim is None:
            return
        function = self.functions.get(claim.kind)
        if function is None:
            error = JobError(message=f"This service has no job of kind {claim.kind!r}.")
            await asyncio.to_thread(self._finish, claim, JobOutcome(errors=[error], failed=True))
            return
        try:
            outcome = await self._run(function, claim)
        except Exception as exc:
            level = failure_level(exc)
            if claim.attempts < self.max_attempts:
                log.log(level, "job failed; it will be delivered again", exc_info=True, extra=_log_extra(claim))
                if is_busy(exc):
                    # Not at once: whatever keeps the database busy needs a moment to finish.
                    await asyncio.sleep(self.busy_backoff)
                raise
            log.log(level, "job failed on its last attempt", exc_info=True, extra=_log_extra(claim))
            reason = BUSY_DETAIL if is_busy(exc) else None
            outcome = JobOutcome(errors=[_gave_up(self.max_attempts, reason)], failed=True)
        await asyncio.to_thread(self._finish_when_free, claim, outcome)

    def recover_orphans(self) -> dict[str, int]:
        """Queue again (or fail, past `max_attempts`) the unfinished jobs no message will bring
        back: for a bus that lost its messages with the process (see recovery.py)."""
        with session_scope(self.engine) as session:
            return recover_orphaned_jobs(
                session, service=self.service, max_attempts=self.max_attempts, now=self.clock()
            )

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def _run(self, function: JobFunc, claim: _Claim) -> JobOutcome:
        context = JobContext(
            job_id=claim.job_id,
            kind=claim.kind,
            client=claim.client,
            payload=claim.payload,
            engine=self.engine,
            clock=self.clock,
            attempt=claim.attempts,
        )
        loop = asyncio.get_running_loop()
        # A fresh copy of the context per job, so the log variables set for it stay with it.
        run_in_context = contextvars.copy_context().run
        return await loop.run_in_executor(self._executor, run_in_context, _call, function, context, claim)

    def _claim(self, job_id: UUID, correlation_id: str | None) -> _Claim | None:
        """Count an attempt and mark the job STARTED; None when there is nothing to run."""
        now = self.clock()
        with session_scope(self.engine) as session:
            row = session.execute(select(job).where(job.c.id == job_id).with_for_update()).mappings().first()
            if row is None:
                log.warning("queued job not found; ignored", extra={"job_id": str(job_id)})
                return None
            if row["status"] in FINISHED:
                return None  # a duplicate delivery of a job that already ran to its end
            attempts = row["attempts"] + 1
            values: dict[str, Any] = {"status": JobStatus.STARTED.value, "started_at": now, "attempts": attempts}
            values.update(progress_done=0, progress_total=None)  # the function starts over
            if attempts > self.max_attempts:
                # The previous attempts died without a word (a crashed worker): stop trying.
                # `attempts` keeps counting runs only, whichever path (this claim, or the embedded
                # restart's recovery) notices first.
                errors = [stopped_worker(row["attempts"]).model_dump()]
                values.update(status=JobStatus.FAILURE.value, finished_at=now, errors=errors, attempts=row["attempts"])
            session.execute(update(job).where(job.c.id == job_id).values(**values))
        if attempts > self.max_attempts:
            log.error("job gave up after %d attempts", self.max_attempts, extra={"job_id": str(job_id)})
            self._count(row["kind"], JobStatus.FAILURE)
            return None
        payload = row["payload"] or {}
        return _Claim(job_id, row["kind"], row["client"], payload, attempts, correlation_id)

    def _finish_when_free(self, claim: _Claim, outcome: JobOutcome) -> None:
        """`_finish`, tried again while the database is busy: failing here would run the whole job
        again on redelivery."""
        for attempt in range(1, FINISH_TRIES + 1):
            try:
                self._finish(claim, outcome)
                return
            except Exception as exc:
                if not is_busy(exc) or attempt == FINISH_TRIES:
                    raise
                log.warning("job finished but not yet recorded: the database is busy", extra=_log_extra(claim))
                time.sleep(self.busy_backoff)

    def _finish(self, claim: _Claim, outcome: JobOutcome) -> None:
        status = JobStatus.FAILURE if outcome.failed else JobStatus.SUCCESS
        values: dict[str, Any] = {
            "status": status.value,
            "result": dict(outcome.result),
            "errors": [error.model_dump() for error in job_errors(outcome.errors)],
            "finished_at": self.clock(),
        }
        if status is JobStatus.SUCCESS:
            # Done means all of it, whatever the function last reported.
            values["progress_done"] = func.coalesce(job.c.progress_total, job.c.progress_done)
            values["progress_total"] = func.coalesce(job.c.progress_total, job.c.progress_done)
        # Only a STARTED job is finished: a concurrent duplicate run that ended first has the last word.
        statement = update(job).where(job.c.id == claim.job_id, job.c.status == JobStatus.STARTED.value)
        with session_scope(self.engine) as session:
            updated = cast(CursorResult[Any], session.execute(statement.values(**values))).rowcount
        if updated:
            self._count(claim.kind, status)

    def _count(self, kind: str, status: JobStatus) -> None:
        if self.metrics is not None:
            self.metrics.jobs.labels(kind, status.value).inc()


def _call(function: JobFunc, context: JobContext, claim: _Claim) -> JobOutcome:
    client_var.set(claim.client)
    request_id_var.set(claim.correlation_id)
    outcome = function(context)
    if not isinstance(outcome, JobOutcome):
        raise TypeError(f"job function for {claim.kind!r} returned {type(outcome).__name__}, not JobOutcome")
    return outcome


def _job_id(envelope: Envelope) -> UUID | None:
    try:
        return UUID(str(envelope.data["job_id"]))
    except (KeyError, ValueError):
        return None


def _gave_up(attempts: int, reason: str | None = None) -> JobError:
    message = f"The job gave up after {attempts} attempts."
    return JobError(message=f"{message} {reason}" if reason else message)


def _log_extra(claim: _Claim) -> dict[str, Any]:
    return {"job_id": str(claim.job_id), "kind": claim.kind, "attempt": claim.attempts}
