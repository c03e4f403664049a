"""`POST /readings/files`: a client uploads a meter reading file; a worker ingests it as a job."""

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, UploadFile

from quintet_shared.context import ClientDep
from quintet_shared.deps import SessionDep
from quintet_shared.jobs import JobAccepted, enqueue_job
from quintet_shared.jobs.api import RESPONSES as JOB_RESPONSES
from readings.ingestion.job import INGEST_JOB
from readings.uploads import store_upload

router = APIRouter(tags=["files"])

RESPONSES: dict[int | str, dict[str, Any]] = {
    401: JOB_RESPONSES[401],
    413: {**JOB_RESPONSES[404], "description": "The file is larger than READINGS_MAX_UPLOAD_BYTES"},
    422: {**JOB_RESPONSES[404], "description": "No file part, or an empty file"},
}


@router.post(
    "/readings/files",
    status_code=202,
    response_model=JobAccepted,
    responses=RESPONSES,
    summary="Upload a meter reading file to be ingested in the background",
    description=(
        "Multipart form: `file` (in the calling client's format) and optional `strict` (reject the whole "
        "file on any bad row). Answers 202 with the job to poll at `status_url`: its result holds the "
        "counts (supply points, new readings, duplicates, rejected rows) and its errors the bad rows "
        "with their line. A file that cannot be read, or a strict rejection, ends the job in FAILURE."
    ),
)
def upload_file(
    file: UploadFile,
    client: ClientDep,
    session: SessionDep,
    request: Request,
    strict: Annotated[bool, Form()] = False,
) -> JobAccepted:
    # FastAPI has spooled the multipart file to a temporary file (never whole in memory); it is
    # copied into the database in chunks, with the job that will ingest it, in one commit.
    runtime = request.app.state.runtime
    upload = store_upload(
        session,
        client=client.client_code,
        name=file.filename or "upload",
        stream=file.file,
        strict=strict,
        max_bytes=request.app.state.settings.max_upload_bytes,
        clock=runtime.clock,
    )
    job = enqueue_job(
        session,
        service="readings",
        kind=INGEST_JOB,
        client=client.client_code,
        payload={"upload_id": upload.id},
        clock=runtime.clock,
    )
    session.commit()
    return JobAccepted.for_job("readings", job.job_id)
