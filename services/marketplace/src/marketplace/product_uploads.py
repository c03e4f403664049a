"""Product files sent to `POST /marketplace/products/files`: kept in this service's database in
chunks (quintet_shared.uploads) with the job that imports them, then imported by a worker (the
`import_products` job), which records the result on the upload.

The job is safe to run twice: the import, the upload's result and the deletion of its chunks commit
together, so a run after that commit (a redelivery after a crash) reports the recorded result; a run
that died before it starts over, and importing a file again changes nothing more (rows upsert).
XLSX is a zip, read from its end: its bytes are copied to a temporary file (spilled to disk past
a few megabytes) for openpyxl, which needs to seek; CSV streams straight from the chunks.
"""

import io
import tempfile
from typing import Any, BinaryIO, cast

from sqlalchemy import Table
from sqlmodel import Session

from marketplace.models import ProductUpload, ProductUploadChunk
from marketplace.product_import import import_products
from quintet_shared import uploads
from quintet_shared.bulk import FileUnusable
from quintet_shared.clock import Clock
from quintet_shared.db import session_scope
from quintet_shared.jobs import JobContext, JobOutcome

IMPORT_JOB = "import_products"
CHUNKS: Table = ProductUploadChunk.__table__  # type: ignore[attr-defined]
UNUSABLE = "UNUSABLE"  # the result's status for a file that could not be read at all
_SPOOL_BYTES = 8 * 1024 * 1024


def file_format(name: str) -> str:
    """`xlsx` for a name ending in .xlsx (its content is checked when read), else `csv`."""
    return "xlsx" if name.lower().endswith(".xlsx") else "csv"


def store_upload(
    session: Session, *, client: str, name: str, stream: BinaryIO, max_bytes: int, clock: Clock
) -> ProductUpload:
    """A new upload holding `stream` (not committed: the caller commits it with its job). Refuses a
    file over `max_bytes` (413) or an empty one (422)."""
    name = (name or "upload")[:255]
    upload = ProductUpload(client=client, name=name, file_format=file_format(name), size_bytes=0, created_at=clock())
    session.add(upload)
    session.flush()
    assert upload.id is not None
    upload.size_bytes = uploads.write_chunks(session, CHUNKS, upload.id, stream, max_bytes=max_bytes)
    return upload


def run_import_job(ctx: JobContext) -> JobOutcome:
    upload_id = int(ctx.payload["upload_id"])
    with Session(ctx.engine) as session:
        upload = session.get(ProductUpload, upload_id)
        if upload is None or upload.client != ctx.client:
            return JobOutcome(errors=[{"message": f"Upload {upload_id} is gone."}], failed=True)
        if upload.result is not None:
            return _outcome(upload.result, upload.errors or [])  # imported by an earlier run
        size, fmt = upload.size_bytes, upload.file_format
    ctx.progress(0, size)
    try:
        with session_scope(ctx.engine) as session, _opened(ctx, upload_id, fmt) as stream:
            result = import_products(
                session,
                client=ctx.client,
                stream=stream,
                file_format=fmt,
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


def _opened(ctx: JobContext, upload_id: int, fmt: str) -> BinaryIO:
    chunks = io.BufferedReader(uploads.ChunkReader(ctx.engine, CHUNKS, upload_id), 256 * 1024)
    if fmt != "xlsx":
        return cast(BinaryIO, chunks)
    spooled = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)  # noqa: SIM115 (closed by the caller's with)
    with chunks:
        while block := chunks.read(1024 * 1024):
            spooled.write(block)
    spooled.seek(0)
    return cast(BinaryIO, spooled)


def _record(
    session: Session, upload_id: int, result: dict[str, Any], errors: list[dict[str, Any]], clock: Clock
) -> None:
    upload = session.get(ProductUpload, upload_id)
    assert upload is not None
    upload.result, upload.errors, upload.finished_at = result, errors, clock()
    session.add(upload)
    uploads.discard_chunks(session, CHUNKS, upload_id)


def _outcome(result: dict[str, Any], errors: list[dict[str, Any]]) -> JobOutcome:
    return JobOutcome(result=result, errors=errors, failed=result.get("status") == UNUSABLE)
