"""`POST /crm/customers/files`: a client uploads a customers CSV; a worker imports it as a job."""

from typing import Any

from fastapi import APIRouter, Request, UploadFile

from crm.customer_uploads import IMPORT_JOB, store_upload
from quintet_shared.context import ClientDep
from quintet_shared.deps import SessionDep
from quintet_shared.jobs import JobAccepted, enqueue_job
from quintet_shared.jobs.api import RESPONSES as JOB_RESPONSES

router = APIRouter(tags=["crm: customers"])

RESPONSES: dict[int | str, dict[str, Any]] = {
    401: JOB_RESPONSES[401],
    413: {**JOB_RESPONSES[404], "description": "The file is larger than CRM_MAX_UPLOAD_BYTES"},
    422: {**JOB_RESPONSES[404], "description": "No file part, or an empty file"},
}


@router.post(
    "/crm/customers/files",
    status_code=202,
    response_model=JobAccepted,
    responses=RESPONSES,
    summary="Upload a customers CSV to be imported in the background (upsert by email)",
    description=(
        "Multipart form: `file`, a CSV whose first line is the header `restaurant,email,first_name,last_name` "
        "(`restaurant`: the id of one of your restaurants; names optional). Each row creates the customer of "
        "that restaurant with that email, or updates its names if it exists; a restaurant and email named "
        "twice take their last row. Answers 202 with the job to poll at `status_url`: its result holds the "
        "counts (rows, created, updated, repeated, rejected) and its errors the bad rows with their line. "
        "A file that cannot be read (no header, too many bad rows) ends the job in FAILURE and changes nothing."
    ),
)
def upload_customers(file: UploadFile, client: ClientDep, session: SessionDep, request: Request) -> JobAccepted:
    # FastAPI has spooled the multipart file to a temporary file (never whole in memory); it is
    # copied into the database in chunks, with the job that will import it, in one commit.
    runtime = request.app.state.runtime
    upload = store_upload(
        session,
        client=client.client_code,
        name=file.filename or "upload",
        stream=file.file,
        max_bytes=request.app.state.settings.max_upload_bytes,
        clock=runtime.clock,
    )
    job = enqueue_job(
        session,
        service="crm",
        kind=IMPORT_JOB,
        client=client.client_code,
        payload={"upload_id": upload.id},
        clock=runtime.clock,
    )
    session.commit()
    return JobAccepted.for_job("crm", job.job_id)
