"""`POST /promotions/profiles/files`: a client uploads a profiles CSV; a worker imports it as a job."""

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, UploadFile

from promotions.profile_uploads import IMPORT_JOB, store_upload
from quintet_shared.context import ClientDep
from quintet_shared.deps import SessionDep
from quintet_shared.jobs import JobAccepted, enqueue_job
from quintet_shared.jobs.api import RESPONSES as JOB_RESPONSES

router = APIRouter(tags=["promotions: profiles"])

RESPONSES: dict[int | str, dict[str, Any]] = {
    401: JOB_RESPONSES[401],
    413: {**JOB_RESPONSES[404], "description": "The file is larger than PROMOTIONS_MAX_UPLOAD_BYTES"},
    422: {**JOB_RESPONSES[404], "description": "No file part, or an empty file"},
}


@router.post(
    "/promotions/profiles/files",
    status_code=202,
    response_model=JobAccepted,
    responses=RESPONSES,
    summary="Upload a profiles CSV to be imported in the background",
    description=(
        "Multipart form: `file`, a CSV whose first line is the header `user,email,latitude,longitude,segments` "
        "(segments `;`-separated names of existing segments; latitude and longitude both or neither, 0 is a "
        "coordinate; `user` kept exactly as written), and optional `strict` (reject the whole file on any bad "
        "row). Each row creates or replaces one profile, like PUT /promotions/profiles/{user}; a user named "
        "twice takes its last row. Answers 202 with the job to poll at `status_url`: its result holds the "
        "counts (rows, created, replaced, repeated, rejected) and its errors the bad rows with their line. "
        "A file that cannot be read (no header, not UTF-8 text, too many bad rows), or a strict rejection, "
        "ends the job in FAILURE and changes nothing."
    ),
)
def upload_profiles(
    file: UploadFile,
    client: ClientDep,
    session: SessionDep,
    request: Request,
    strict: Annotated[bool, Form()] = False,
) -> JobAccepted:
    # FastAPI has spooled the multipart file to a temporary file (never whole in memory); it is
    # copied into the database in chunks, with the job that will import it, in one commit.
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
        service="promotions",
        kind=IMPORT_JOB,
        client=client.client_code,
        payload={"upload_id": upload.id},
        clock=runtime.clock,
    )
    session.commit()
    return JobAccepted.for_job("promotions", job.job_id)
