"""What a job function gets (`JobContext`) and gives back (`JobOutcome`).

A job function is plain synchronous code: it runs in a worker thread and opens its own sessions on
`context.engine`. It must be safe to run twice: a worker that crashes mid-run never acks the
message, so the broker delivers it again and the function starts over (commit per chunk and skip
what is already there, or replace rather than append).
"""

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from uuid import UUID

from sqlalchemy import update
from sqlalchemy.engine import Engine

from quintet_shared.busy import is_busy
from quintet_shared.clock import Clock
from quintet_shared.jobs.models import JobError
from quintet_shared.tables import job

log = logging.getLogger(__name__)


class ProgressStore(Protocol):
    def save(self, job_id: UUID, done: int, total: int | None) -> None: ...


class TableProgress:
    """Writes progress in a short transaction of its own, so status polls see it mid-run."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def save(self, job_id: UUID, done: int, total: int | None) -> None:
        try:
            with self.engine.begin() as conn:
                conn.execute(update(job).where(job.c.id == job_id).values(progress_done=done, progress_total=total))
        except Exception as exc:
            # Progress is a courtesy to the poller: a busy database skips this report, never the job.
            if not is_busy(exc):
                raise
            log.warning("job progress not saved: the database is busy", extra={"job_id": str(job_id)})


@dataclass
class JobContext:
    job_id: UUID
    kind: str
    client: str
    payload: dict[str, Any]
    engine: Engine
    clock: Clock
    attempt: int = 1
    store: ProgressStore | None = None
    # Progress is written at most this often (plus the first and the last report), so that a job
    # reporting every line does not turn into a transaction per line.
    progress_interval: float = 0.5
    monotonic: Callable[[], float] = time.monotonic
    _last_saved: float | None = field(default=None, init=False, repr=False)

    def progress(self, done: int, total: int | None = None) -> None:
        if done < 0 or (total is not None and total < 0):
            raise ValueError("progress counts cannot be negative")
        now = self.monotonic()
        complete = total is not None and done >= total
        due = self._last_saved is None or now - self._last_saved >= self.progress_interval
        if not (complete or due):
            return
        store = self.store or TableProgress(self.engine)
        store.save(self.job_id, done, total)
        self._last_saved = now


@dataclass
class JobOutcome:
    """`failed` decides the final status (FAILURE or SUCCESS); both keep result and errors."""

    result: dict[str, Any] = field(default_factory=dict)
    errors: Sequence[JobError | dict[str, Any]] = ()
    failed: bool = False


JobFunc = Callable[[JobContext], JobOutcome]
