"""Uploaded files, kept in the service's own database in ~1 MB chunks until a worker ingests them.

The API and the worker are separate processes (separate machines in containers), so the bytes go
where both can reach them: the database they share. Written and read a chunk at a time, so neither
side ever holds a whole file.
"""

import io
from collections.abc import Generator
from typing import BinaryIO

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from quintet_shared.clock import Clock
from quintet_shared.errors import Problem
from readings.models import Upload, UploadChunk

CHUNK_BYTES = 1024 * 1024


class UploadTooLarge(Problem):
    status = 413


def store_upload(
    session: Session, *, client: str, name: str, stream: BinaryIO, strict: bool, max_bytes: int, clock: Clock
) -> Upload:
    """Copy `stream` into chunks of a new upload (not committed: the caller commits it together with
    the job that will ingest it). Refuses a file over `max_bytes` (413) or an empty one (422)."""
    upload = Upload(client=client, name=(name or "upload")[:255], size_bytes=0, strict=strict, created_at=clock())
    session.add(upload)
    session.flush()
    assert upload.id is not None
    seq = 0
    while chunk := stream.read(CHUNK_BYTES):
        upload.size_bytes += len(chunk)
        if upload.size_bytes > max_bytes:
            raise UploadTooLarge(f"The file exceeds {max_bytes} bytes.")
        # A core insert: ORM objects would stay in the session, the whole file with them.
        session.execute(insert(UploadChunk).values(upload_id=upload.id, seq=seq, data=chunk))
        seq += 1
    if upload.size_bytes == 0:
        raise Problem("The file is empty.", status=422)
    return upload


def discard_chunks(session: Session, upload_id: int) -> None:
    session.execute(delete(UploadChunk).where(UploadChunk.upload_id == upload_id))  # type: ignore[arg-type]


class ChunkReader(io.RawIOBase):
    """The upload's bytes as a stream, fetched chunk by chunk on a connection of its own: the
    ingesting connection is busy with COPY while the parser reads."""

    def __init__(self, engine: Engine, upload_id: int) -> None:
        self._chunks = _chunks(engine, upload_id)
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if not self._pending:
            self._pending = memoryview(next(self._chunks, b""))
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size

    def close(self) -> None:
        self._chunks.close()  # gives the connection back even when the parser stopped early
        super().close()


def _chunks(engine: Engine, upload_id: int) -> Generator[bytes]:
    statement = select(UploadChunk.__table__.c.data).where(UploadChunk.__table__.c.upload_id == upload_id)  # type: ignore[attr-defined]
    seq = 0
    with engine.connect() as connection:
        while (data := connection.execute(statement.where(UploadChunk.__table__.c.seq == seq)).scalar()) is not None:  # type: ignore[attr-defined]
            yield bytes(data)
            seq += 1
