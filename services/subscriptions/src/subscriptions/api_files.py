"""`POST /subscriptions/forecasts/files` and `POST /subscriptions/subscriptions/files/{kind}`: a client
uploads a CSV; a worker imports it as a job (csv_uploads.py), polled at `GET /subscriptions/jobs/{id}`."""

from enum import StrEnum
from typing import Any

from fastapi import APIRouter, Request, UploadFile

from quintet_shared.context import ClientDep
from quintet_shared.deps import SessionDep
from quintet_shared.jobs import JobAccepted, enqueue_job
from quintet_shared.jobs.api import RESPONSES as JOB_RESPONSES
from subscriptions.csv_format import COLUMNS, Kind
from subscriptions.csv_uploads import IMPORT_JOB, store_upload

router = APIRouter()


class SubscriberFile(StrEnum):
    ADDITIONS = Kind.ADDITIONS.value
    CANCELLATIONS = Kind.CANCELLATIONS.value
    UPDATES = Kind.UPDATES.value


RESPONSES: dict[int | str, dict[str, Any]] = {
    401: JOB_RESPONSES[401],
    413: {**JOB_RESPONSES[404], "description": "The file is larger than SUBSCRIPTIONS_MAX_UPLOAD_BYTES"},
    422: {**JOB_RESPONSES[404], "description": "No file part, an empty file, or an unknown kind"},
}
COMMON = (
    "Multipart form: `file`, a UTF-8 CSV whose first line is a header naming its columns in any order (others "
    "are ignored). `ts` is `YYYY-MM-DD HH:MM:SS` on the client's clock (the time zone of "
    "/subscriptions/settings). Answers 202 with the job to poll at `status_url`: its result holds the counts "
    "and its errors the bad rows with their line. Each row applies as of its `ts`, so a file sent again "
    "changes nothing. A file that cannot be read (no header, a missing column, not UTF-8 text, a line over "
    "4 KiB, too many bad rows) ends the job in FAILURE and changes nothing."
)


@router.post(
    "/subscriptions/forecasts/files",
    status_code=202,
    response_model=JobAccepted,
    responses=RESPONSES,
    tags=["subscriptions: forecasts"],
    summary="Upload a forecasts CSV to be imported in the background",
    description=(
        f"Columns `{','.join(COLUMNS[Kind.FORECASTS])}`: each row creates or changes the point of its gid "
        "(kept as written); points the file does not name are left alone. Subscribers are relinked to their "
        "nearest point when points are added or moved (result: created, updated, unchanged, relinked). " + COMMON
    ),
)
def upload_forecasts(file: UploadFile, client: ClientDep, session: SessionDep, request: Request) -> JobAccepted:
    return _accepted(Kind.FORECASTS, file, client.client_code, session, request)


@router.post(
    "/subscriptions/subscriptions/files/{kind}",
    status_code=202,
    response_model=JobAccepted,
    responses=RESPONSES,
    tags=["subscriptions: subscriptions"],
    summary="Upload subscriber additions, cancellations or updates to be imported in the background",
    description=(
        f"additions `{','.join(COLUMNS[Kind.ADDITIONS])}` (or `service_id` for the plan: 11 daily, 21 weekly): "
        "each row subscribes its msisdn, linked to its nearest forecast point (none yet: linked when forecasts "
        "arrive), unpaid and due for billing from its local date; a cancelled msisdn added after its "
        "cancellation starts a new period; one subscribed already is left alone. "
        f"cancellations `{','.join(COLUMNS[Kind.CANCELLATIONS])}`: cancels as of ts. "
        f"updates `{','.join(COLUMNS[Kind.UPDATES])}`: a new location (and nearest point) unless the stored one "
        "is more recent. An msisdn without a subscription is a row error of cancellations and updates. " + COMMON
    ),
)
def upload_subscribers(
    kind: SubscriberFile, file: UploadFile, client: ClientDep, session: SessionDep, request: Request
) -> JobAccepted:
    return _accepted(Kind(kind.value), file, client.client_code, session, request)


def _accepted(kind: Kind, file: UploadFile, client: str, session: SessionDep, request: Request) -> JobAccepted:
    # FastAPI has spooled the multipart file to a temporary file (never whole in memory); it is
    # copied into the database in chunks, with the job that will import it, in one commit.
    clock = request.app.state.runtime.clock
    upload = store_upload(
        session,
        client=client,
        kind=kind,
        name=file.filename or "upload",
        stream=file.file,
        max_bytes=request.app.state.settings.max_upload_bytes,
        clock=clock,
    )
    payload = {"upload_id": upload.id}
    job = enqueue_job(session, service="subscriptions", kind=IMPORT_JOB, client=client, payload=payload, clock=clock)
    session.commit()
    return JobAccepted.for_job("subscriptions", job.job_id)
