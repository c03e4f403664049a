"""Jobs whose message is gone: queued again, or failed with the reason.

On RabbitMQ a worker that dies mid-job never acked, so the broker delivers the job again. The
in-process bus of embedded mode keeps its messages in memory: when the process dies, a PENDING job
whose event was already published and a STARTED job both lose their message, and would read
PENDING or STARTED forever. So a worker on such a bus calls `recover_orphaned_jobs` when it starts,
before its relay runs: each such job gets a new queued event (jobs are safe to run twice), unless its
event is still unsent in the outbox (the relay will send it). Every claim counts an attempt, so a
job that kills its worker each time it runs is not run forever: once it has used `max_attempts`, it
fails with "The worker stopped while running it N times."
"""

import logging
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select, update
from sqlmodel import Session

from quintet_shared.envelope import Envelope
from quintet_shared.jobs.models import JobError, JobStatus
from quintet_shared.jobs.store import queued_event_type
from quintet_shared.outbox import add_event
from quintet_shared.tables import job, outbox_message

log = logging.getLogger(__name__)
UNFINISHED = (JobStatus.PENDING.value, JobStatus.STARTED.value)


def stopped_worker(attempts: int) -> JobError:
    return JobError(message=f"The worker stopped while running it {attempts} times.")


def recover_orphaned_jobs(session: Session, *, service: str, max_attempts: int, now: datetime) -> dict[str, int]:
    """Queue again, or fail, every unfinished job of `service` that no message will bring to a
    worker. Call it only where no message survived (a fresh in-process bus). Does not commit."""
    unsent = _jobs_with_unsent_events(session, queued_event_type(service))
    counts = {"requeued": 0, "failed": 0}
    rows = session.execute(
        select(job.c.id, job.c.client, job.c.kind, job.c.attempts).where(job.c.status.in_(UNFINISHED))
    )
    for job_id, client, kind, attempts in rows.all():
        if job_id in unsent:
            continue
        if attempts >= max_attempts:
            errors = [stopped_worker(attempts).model_dump()]
            values: dict[str, Any] = {"status": JobStatus.FAILURE.value, "errors": errors, "finished_at": now}
            session.execute(update(job).where(job.c.id == job_id).values(**values))
            counts["failed"] += 1
            continue
        data = {"job_id": str(job_id), "kind": kind}
        add_event(
            session, Envelope.new(type=queued_event_type(service), source=service, client=client, time=now, data=data)
        )
        counts["requeued"] += 1
    if any(counts.values()):
        log.warning("jobs left unfinished by a stopped worker: %s", counts, extra={"service": service})
    return counts


def _jobs_with_unsent_events(session: Session, event_type: str) -> set[UUID]:
    query = select(outbox_message.c.body).where(outbox_message.c.type == event_type, outbox_message.c.sent_at.is_(None))
    found: set[UUID] = set()
    for (body,) in session.execute(query):
        job_id = Envelope.decode(body.encode()).data.get("job_id")
        if job_id:
            found.add(UUID(str(job_id)))
    return found
