"""Customer CSVs sent to `POST /crm/customers/files`: kept in this service's database in chunks
(quintet_shared.uploads) with the job that imports them, then imported by a worker (the
`import_customers` job), which records the result on the upload.

The job is safe to run twice: the import, the upload's result and the deletion of its chunks commit
together, so a run after that commit (a redelivery after a crash) reports the recorded result; a run
that died before it starts over, and importing a file again changes nothing more (rows upsert).
"""

import io
from typing import Any, BinaryIO, cast

from sqlalchemy import Table
from sqlmodel import Session

from crm.customer_import import import_customers
from crm.models import CustomerUpload, CustomerUploadChunk
from quintet_shared import uploads
from quintet_shared.bulk import FileUnusable
from quintet_shared.clock import Clock
from quintet_shared.db import session_scope
from quintet_shared.jobs import JobContext, JobOutcome

IMPORT_JOB = "import_customers"
CHUNKS: Table = CustomerUploadChunk.__table__  # type: ignore[attr-defined]
UNUSABLE = "UNUSABLE"  # the result's status for a file that could not be read at all


def store_upload(
    session: Session, *, client: str, name: str, stream: BinaryIO, max_bytes: int, clock: Clock
) -> CustomerUpload:
    """A new upload holding `stream` (not committed: the caller commits it with its job). Refuses a
    file over `max_bytes` (413) or an empty one (422)."""
    upload = CustomerUpload(client=client, name=(name or "upload")[:255], size_bytes=0, created_at=clock())
    session.add(upload)
    session.flush()
    assert upload.id is not None
    upload.size_bytes = uploads.write_chunks(session, CHUNKS, upload.id, stream, max_bytes=max_bytes)
    return upload


def run_import_job(ctx: JobContext) -> JobOutcome:
    upload_id = int(ctx.payload["upload_id"])
    with Session(ctx.engine) as session:
        upload = session.get(CustomerUpload, upload_id)
        if upload is None or upload.client != ctx.client:
            return JobOutcome(errors=[{"message": f"Upload {upload_id} is gone."}], failed=True)
        if upload.result is not None:
            return _outcome(upload.result, upload.errors or [])  # imported by an earlier run
        size = upload.size_bytes
    ctx.progress(0, size)
    try:
        with session_scope(ctx.engine) as session:
            with io.BufferedReader(uploads.ChunkReader(ctx.engine, CHUNKS, upload_id), 256 * 1024) as stream:
                result = import_customers(
                    session,
                    client=ctx.client,
                    stream=cast(BinaryIO, stream),
                    now=ctx.clock(),
                    size=size,
                    progress=ctx.progress,
                )
            errors = [error.as_dict() for error in result.errors]
            _record(session, upload_id, result.counts(), errors, ctx.clock)
    except FileUnusable as exc:
        error: dict[str, Any] = {"message": f"The file cannot be imported, nothing was changed: {exc}"}
        if exc.line is not None:
            error["line"] = exc.line
        with session_scope(ctx.engine) as session:
            _record(session, upload_id, {"status": UNUSABLE}, [error], ctx.clock)
        return _outcome({"status": UNUSABLE}, [error])
    return _outcome(result.counts(), errors)


def _record(
    session: Session, upload_id: int, result: dict[str, Any], errors: list[dict[str, Any]], clock: Clock
) -> None:
    upload = session.get(CustomerUpload, upload_id)
    assert upload is not None
    upload.result, upload.errors, upload.finished_at = result, errors, clock()
    session.add(upload)
    uploads.discard_chunks(session, CHUNKS, upload_id)


def _outcome(result: dict[str, Any], errors: list[dict[str, Any]]) -> JobOutcome:
    return JobOutcome(result=result, errors=errors, failed=result.get("status") == UNUSABLE)
