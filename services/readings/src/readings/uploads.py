"""Readings' uploads: a file sent to POST /readings/files, kept in this service's database in chunks
(the kit's quintet_shared.uploads) until a worker ingests it."""

from typing import BinaryIO

from sqlalchemy import Table
from sqlalchemy.engine import Engine
from sqlmodel import Session

from quintet_shared import uploads
from quintet_shared.clock import Clock
from readings.models import Upload, UploadChunk

CHUNKS: Table = UploadChunk.__table__  # type: ignore[assignment]


def store_upload(
    session: Session, *, client: str, name: str, stream: BinaryIO, strict: bool, max_bytes: int, clock: Clock
) -> Upload:
    """A new upload holding `stream` (not committed: the caller commits it together with the job
    that will ingest it). Refuses a file over `max_bytes` (413) or an empty one (422)."""
    upload = Upload(client=client, name=(name or "upload")[:255], size_bytes=0, strict=strict, created_at=clock())
    session.add(upload)
    session.flush()
    assert upload.id is not None
    upload.size_bytes = uploads.write_chunks(session, CHUNKS, upload.id, stream, max_bytes=max_bytes)
    return upload


def discard_chunks(session: Session, upload_id: int) -> None:
    uploads.discard_chunks(session, CHUNKS, upload_id)


class ChunkReader(uploads.ChunkReader):
    """The upload's bytes as a stream, chunk by chunk, on a connection of its own."""

    def __init__(self, engine: Engine, upload_id: int) -> None:
        super().__init__(engine, CHUNKS, upload_id)
