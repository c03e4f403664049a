"""`POST /marketplace/products/files`: a client uploads a product file (CSV or XLSX); a worker
imports it as a job."""

from typing import Any

from fastapi import APIRouter, Request, UploadFile

from marketplace.config import PRODUCT_FILES_PATH
from marketplace.product_file import COLUMNS, REQUIRED
from marketplace.product_uploads import IMPORT_JOB, store_upload
from quintet_shared.context import ClientDep
from quintet_shared.deps import SessionDep
from quintet_shared.jobs import JobAccepted, enqueue_job
from quintet_shared.jobs.api import RESPONSES as JOB_RESPONSES

router = APIRouter(tags=["marketplace: products"])

RESPONSES: dict[int | str, dict[str, Any]] = {
    401: JOB_RESPONSES[401],
    413: {**JOB_RESPONSES[404], "description": "The file is larger than MARKETPLACE_MAX_UPLOAD_BYTES"},
    422: {**JOB_RESPONSES[404], "description": "No file part, or an empty file"},
}


@router.post(
    PRODUCT_FILES_PATH,
    status_code=202,
    response_model=JobAccepted,
    responses=RESPONSES,
    summary="Upload a product file (CSV or XLSX) to be imported in the background",
    description=(
        f"Multipart form: `file`, a CSV (UTF-8) or an XLSX workbook (its name ends in .xlsx; the first sheet is "
        f"read) whose first row names its columns among `{','.join(COLUMNS)}` (required: {', '.join(REQUIRED)}). "
        "Each row creates or updates the product of its SKU; empty cells take the defaults of POST "
        "/marketplace/products; a changed price enters the price history as `upload`. Answers 202 with the job "
        "to poll at `status_url`: its result holds the counts (rows, created, updated, repeated, rejected, "
        "price_changes) and its errors the bad rows with their line. A file that cannot be read (unknown or "
        "missing columns, not UTF-8, not an XLSX workbook) ends the job in FAILURE and changes nothing."
    ),
)
def upload_products(file: UploadFile, client: ClientDep, session: SessionDep, request: Request) -> JobAccepted:
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
        service="marketplace",
        kind=IMPORT_JOB,
        client=client.client_code,
        payload={"upload_id": upload.id},
        clock=runtime.clock,
    )
    session.commit()
    return JobAccepted.for_job("marketplace", job.job_id)
