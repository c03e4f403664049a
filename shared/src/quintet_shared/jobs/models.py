"""What a job looks like from outside (ARCHITECTURE.md §8): the 202 answer and the status body."""

from collections.abc import Iterable, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field


class JobStatus(StrEnum):
    PENDING = "PENDING"
    STARTED = "STARTED"
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"
    EXPIRED = "EXPIRED"


# A job in one of these states is never run again: a later delivery of its message is a duplicate.
FINISHED = frozenset({JobStatus.SUCCESS, JobStatus.FAILURE, JobStatus.EXPIRED})


class JobProgress(BaseModel):
    done: int = Field(0, ge=0)
    total: int | None = Field(None, ge=0, description="Unknown (null) until the job has counted its work")


class JobError(BaseModel):
    line: int | None = Field(default=None, description="The input line the error is about, when there is one")
    message: str


class JobPublic(BaseModel):
    job_id: UUID
    kind: str
    status: JobStatus
    progress: JobProgress
    result: dict[str, Any] | None = None
    errors: list[JobError] = Field(default_factory=list)
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None


class JobAccepted(BaseModel):
    """The body of the 202 a route answers when it has queued a job."""

    job_id: UUID
    status: Literal["PENDING"] = "PENDING"
    status_url: str

    @classmethod
    def for_job(cls, service: str, job_id: UUID) -> "JobAccepted":
        return cls(job_id=job_id, status_url=job_status_path(service, job_id))


def job_status_path(service: str, job_id: UUID) -> str:
    return f"/{service}/jobs/{job_id}"


def job_errors(errors: Iterable[JobError | Mapping[str, Any]] | None) -> list[JobError]:
    return [error if isinstance(error, JobError) else JobError.model_validate(error) for error in errors or ()]


def job_public(row: Mapping[Any, Any]) -> JobPublic:
    """Shape a `job` table row for the API. An expired job shows nothing of what it held."""
    status = JobStatus(row["status"])
    expired = status is JobStatus.EXPIRED
    return JobPublic(
        job_id=row["id"],
        kind=row["kind"],
        status=status,
        progress=JobProgress(done=row["progress_done"] or 0, total=row["progress_total"]),
        result=None if expired else row["result"],
        errors=[] if expired else job_errors(row["errors"]),
        created_at=row["created_at"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
    )
