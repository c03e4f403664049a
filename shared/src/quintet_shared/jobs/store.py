"""The `job` table: queueing a job, reading it for its client, and forgetting old details."""

from datetime import datetime, timedelta
from typing import Any, cast
from uuid import UUID, uuid4

from sqlalchemy import CursorResult, insert, null, select, update
from sqlmodel import Session

from quintet_shared.clock import Clock, system_clock
from quintet_shared.envelope import Envelope
from quintet_shared.jobs.models import JobPublic, JobStatus, job_public
from quintet_shared.logs import request_id_var
from quintet_shared.outbox import add_event
from quintet_shared.tables import job


def queued_event_type(service: str) -> str:
    return f"{service}.job.queued"


def enqueue_job(
    session: Session,
    *,
    service: str,
    kind: str,
    client: str,
    payload: dict[str, Any],
    clock: Clock = system_clock,
    correlation_id: str | None = None,
) -> JobPublic:
    """Add a PENDING job and the event that queues it, in the caller's transaction.

    Nothing is committed here: the use case that queues the job commits once, so either the job
    and its event both exist or neither does (a job row without its event would stay PENDING).
    """
    now = clock()
    values = {
        "id": uuid4(),
        "client": client,
        "kind": kind,
        "status": JobStatus.PENDING.value,
        "payload": payload,
        "progress_done": 0,
        "progress_total": None,
        "result": None,
        "errors": None,
        "attempts": 0,
        "created_at": now,
        "started_at": None,
        "finished_at": None,
    }
    session.execute(insert(job).values(**values))
    add_event(
        session,
        Envelope.new(
            type=queued_event_type(service),
            source=service,
            client=client,
            # The request that queued the job, so that its logs and the job's can be joined.
            correlation_id=correlation_id or request_id_var.get(),
            time=now,
            data={"job_id": str(values["id"]), "kind": kind},
        ),
    )
    return job_public(values)


def find_job(session: Session, *, client: str, job_id: UUID) -> JobPublic | None:
    """The job, if it exists and belongs to `client`: another client's job is as absent as no job."""
    row = session.execute(select(job).where(job.c.id == job_id, job.c.client == client)).mappings().first()
    return None if row is None else job_public(row)


def purge_expired_jobs(session: Session, *, now: datetime, retention: timedelta) -> int:
    """Clear what finished jobs older than `retention` held; returns how many expired.

    The row itself stays, so that the job's id keeps answering EXPIRED rather than 404.
    """
    finished = [JobStatus.SUCCESS.value, JobStatus.FAILURE.value]
    statement = (
        update(job)
        .where(job.c.status.in_(finished), job.c.finished_at < now - retention)
        .values(status=JobStatus.EXPIRED.value, payload=null(), result=null(), errors=null())
    )
    return cast(CursorResult[Any], session.execute(statement)).rowcount or 0
