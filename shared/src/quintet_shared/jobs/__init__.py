"""Background jobs (ARCHITECTURE.md §8): queued through the outbox, run by a worker, polled by id.

A use case calls `enqueue_job` in its transaction and answers `202 JobAccepted`; the service's
worker consumes `<service>.jobs` with a `JobRunner` that calls the job function of the job's kind;
clients poll `GET /<service>/jobs/{job_id}` (`jobs_router`); a schedule runs `purge_expired_jobs`.
"""

from quintet_shared.jobs.api import jobs_router
from quintet_shared.jobs.context import JobContext, JobFunc, JobOutcome, ProgressStore, TableProgress
from quintet_shared.jobs.models import (
    FINISHED,
    JobAccepted,
    JobError,
    JobProgress,
    JobPublic,
    JobStatus,
    job_public,
    job_status_path,
)
from quintet_shared.jobs.runner import JobRunner
from quintet_shared.jobs.store import enqueue_job, find_job, purge_expired_jobs, queued_event_type

__all__ = [
    "FINISHED",
    "JobAccepted",
    "JobContext",
    "JobError",
    "JobFunc",
    "JobOutcome",
    "JobProgress",
    "JobPublic",
    "JobRunner",
    "JobStatus",
    "ProgressStore",
    "TableProgress",
    "enqueue_job",
    "find_job",
    "job_public",
    "job_status_path",
    "jobs_router",
    "purge_expired_jobs",
    "queued_event_type",
]
