"""`GET /<service>/jobs/{job_id}`: the status of a job, for the client that queued it."""

from collections.abc import Callable
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends
from sqlalchemy.engine import Engine
from sqlmodel import Session

from quintet_shared.context import ClientDep
from quintet_shared.errors import NotFound, documented_problem
from quintet_shared.jobs.models import JobPublic
from quintet_shared.jobs.store import find_job

RESPONSES: dict[int | str, dict[str, Any]] = {
    401: documented_problem("The request did not come through the gateway, or its signature is invalid or stale"),
    404: documented_problem("No job with this id belongs to the calling client"),
    422: documented_problem("The job id is not a UUID"),
}


def jobs_router(service: str, get_engine: Callable[..., Engine]) -> APIRouter:
    """The job status route of `service`; `get_engine` is a FastAPI dependency giving its engine."""
    router = APIRouter(tags=["jobs"])

    @router.get(
        f"/{service}/jobs/{{job_id}}",
        response_model=JobPublic,
        responses=RESPONSES,
        summary="Status, progress and result of a background job",
        description=(
            "PENDING until a worker picks the job up, STARTED while it runs (progress moves), then "
            "SUCCESS or FAILURE with its result and errors. After the retention time the details are "
            "purged and the job reads EXPIRED."
        ),
    )
    def job_status(job_id: UUID, client: ClientDep, engine: Annotated[Engine, Depends(get_engine)]) -> JobPublic:
        with Session(engine) as session:
            found = find_job(session, client=client.client_code, job_id=job_id)
        if found is None:
            raise NotFound(f"No job {job_id}.")
        return found

    return router
