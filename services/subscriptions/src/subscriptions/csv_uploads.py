"""CSVs sent to `POST /subscriptions/.../files`: kept in this service's database in chunks
(quintet_shared.uploads) with the job that imports them, then imported by a worker (the
`import_csv` job), which records the result on the upload.

The job is safe to run twice: the import lands chunk by chunk and changes only what a row changes, so
a run after a crash finishes the file; the upload's result and the deletion of its bytes commit
together at the end, and a run after that reports the recorded result.
"""

import io
from typing import Any, BinaryIO, cast

from sqlalchemy import Table
from sqlmodel import Session

from quintet_shared import uploads
from quintet_shared.bulk import FileUnusable
from quintet_shared.clock import Clock
from quintet_shared.db import session_scope
from quintet_shared.jobs import JobContext, JobOutcome
from subscriptions.csv_format import Kind
from subscriptions.csv_import import import_csv
from subscriptions.models import CsvUpload, CsvUploadChunk

IMPORT_JOB = "import_csv"
CHUNKS: Table = CsvUploadChunk.__table__  # type: ignore[attr-defined]
UNUSABLE = "UNUSABLE"  # the result's status for a file that could not be read at all


def store_upload(
    session: Session, *, client: str, kind: Kind, name: str, stream: BinaryIO, max_bytes: int, clock: Clock
) -> CsvUpload:
    """A new upload holding `stream` (not committed: the caller commits it with its job). Refuses a
    file over `max_bytes` (413) or an empty one (422)."""
    upload = CsvUpload(client=client, kind=kind.value, name=(name or "upload")[:255], size_bytes=0, created_at=clock())
    session.add(upload)
    session.flush()
    assert upload.id is not None
    upload.size_bytes = uploads.write_chunks(session, CHUNKS, upload.id, stream, max_bytes=max_bytes)
    return upload


def run_import_job(ctx: JobContext) -> JobOutcome:
    upload_id = int(ctx.payload["upload_id"])
    with Session(ctx.engine) as session:
        upload = session.get(CsvUpload, upload_id)
        if upload is None or upload.client != ctx.client:
            return JobOutcome(errors=[{"message": f"Upload {upload_id} is gone."}], failed=True)
        if upload.result is not None:
            return _outcome(upload.result, upload.errors or [])  # imported by an earlier run
        size, kind = upload.size_bytes, Kind(upload.kind)
    ctx.progress(0, 2 * size)
    try:
        with io.BufferedReader(uploads.ChunkReader(ctx.engine, CHUNKS, upload_id), 256 * 1024) as stream:
            result = import_csv(
                ctx.engine,
                client=ctx.client,
                kind=kind,
                stream=cast(BinaryIO, stream),
                now=ctx.clock(),
                size=size,
                progress=ctx.progress,
            )
    except FileUnusable as exc:
        error: dict[str, Any] = {"message": f"The file cannot be imported, nothing was changed: {exc}"}
        if exc.line is not None:
            error["line"] = exc.line
        return _recorded(ctx, upload_id, {"status": UNUSABLE, "kind": kind.value}, [error])
    return _recorded(ctx, upload_id, result.counts(), [error.as_dict() for error in result.errors])


def _recorded(ctx: JobContext, upload_id: int, result: dict[str, Any], errors: list[dict[str, Any]]) -> JobOutcome:
    with session_scope(ctx.engine) as session:
        upload = session.get(CsvUpload, upload_id)
        assert upload is not None
        upload.result, upload.errors, upload.finished_at = result, errors, ctx.clock()
        session.add(upload)
        uploads.discard_chunks(session, CHUNKS, upload_id)
    return _outcome(result, errors)


def _outcome(result: dict[str, Any], errors: list[dict[str, Any]]) -> JobOutcome:
    return JobOutcome(result=result, errors=errors, failed=result.get("status") == UNUSABLE)
