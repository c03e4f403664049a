"""The `ingest_file` job: a worker ingests an uploaded file (see uploads.py) and reports on it.

Safe to run twice: the ingestion, the upload's `file_id` and the deletion of its chunks commit
together, so a run after that commit (a redelivery after a crash) finds the file ingested and
reports it again; a run that died before it starts over, and ingestion adds nothing twice anyway.
"""

import io
from typing import Any, BinaryIO, cast

from sqlmodel import Session

from quintet_shared.db import session_scope
from quintet_shared.jobs import JobContext, JobOutcome
from readings.formats.base import FileUnusable
from readings.ingestion.clients import UnknownClient, client_parser
from readings.ingestion.result import FileStatus, IngestResult
from readings.ingestion.usecase import ingest_file
from readings.models import IngestedFile, Upload
from readings.uploads import ChunkReader, discard_chunks

INGEST_JOB = "ingest_file"


def run_ingest_job(ctx: JobContext) -> JobOutcome:
    upload_id = int(ctx.payload["upload_id"])
    with Session(ctx.engine) as session:
        upload = session.get(Upload, upload_id)
        if upload is None or upload.client != ctx.client:
            return JobOutcome(errors=[{"message": f"Upload {upload_id} is gone."}], failed=True)
        if upload.file_id is not None:
            return _outcome_of(session.get(IngestedFile, upload.file_id))
        size = upload.size_bytes
    ctx.progress(0, size)
    try:
        result = _ingest(ctx, upload_id, size)
    except (FileUnusable, UnknownClient) as exc:
        with session_scope(ctx.engine) as session:
            discard_chunks(session, upload_id)
        return JobOutcome(result={"status": "UNUSABLE"}, errors=[{"message": str(exc)}], failed=True)
    errors = [error.as_dict() for error in result.errors]
    return JobOutcome(result=result.counts(), errors=errors, failed=result.status is FileStatus.REJECTED)


def _ingest(ctx: JobContext, upload_id: int, size: int) -> IngestResult:
    with session_scope(ctx.engine) as session:
        upload = session.get(Upload, upload_id)
        assert upload is not None
        parser, timezone = client_parser(session, ctx.client)
        with io.BufferedReader(ChunkReader(ctx.engine, upload_id), buffer_size=256 * 1024) as stream:
            result = ingest_file(
                session,
                client=ctx.client,
                name=upload.name,
                stream=cast(BinaryIO, stream),
                parser=parser,
                timezone=timezone,
                strict=upload.strict,
                clock=ctx.clock,
                size=size,
                # Reported while the file is parsed: on SQLite too, whose staging takes no write lock.
                progress=ctx.progress,
            )
        upload.file_id = result.file_id
        session.add(upload)
        discard_chunks(session, upload_id)
    return result


def _outcome_of(record: IngestedFile | None) -> JobOutcome:
    """The report of an ingestion that already committed (this job ran before and died after)."""
    if record is None or record.id is None:
        return JobOutcome(errors=[{"message": "The ingested file is gone."}], failed=True)
    result: dict[str, Any] = {
        "file_id": record.id,
        "status": record.status,
        "sha256": record.sha256,
        "supply_points": record.supply_points,
        "new_readings": record.new_readings,
        "duplicates": record.duplicates,
        "rejected": record.rejected,
    }
    return JobOutcome(result=result, failed=record.status == FileStatus.REJECTED.value)
