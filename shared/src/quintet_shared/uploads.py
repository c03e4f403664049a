"""Uploaded files, kept in the service's own database in ~1 MB chunks until a worker has read them.

The API and the worker are separate processes (separate machines in containers), so the bytes go
where both can reach them: the database they share. Written and read a chunk at a time, so neither
side ever holds a whole file. A service keeps its uploads in a table of its own (what it needs to
know of a file) and their bytes in a chunk table with the columns `upload_id`, `seq` and `data`.
"""

import io
from collections.abc import Generator
from typing import BinaryIO

from sqlalchemy import Table, delete, insert, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from quintet_shared.errors import Problem

CHUNK_BYTES = 1024 * 1024
MULTIPART_OVERHEAD = 64 * 1024  # boundaries, part headers and small fields around the file in a multipart body


class UploadTooLarge(Problem):
    status = 413


def write_chunks(session: Session, chunks: Table, upload_id: int, stream: BinaryIO, *, max_bytes: int) -> int:
    """Copy `stream` into `chunks` of the upload (not committed: the caller commits it together with
    the job that will read it); returns its size. Refuses a file over `max_bytes` (413) or an empty
    one (422)."""
    size = seq = 0
    while chunk := stream.read(CHUNK_BYTES):
        size += len(chunk)
        if size > max_bytes:
            raise UploadTooLarge(f"The file exceeds {max_bytes} bytes.")
        # A core insert: ORM objects would stay in the session, the whole file with them.
        session.execute(insert(chunks).values(upload_id=upload_id, seq=seq, data=chunk))
        seq += 1
    if size == 0:
        raise Problem("The file is empty.", status=422)
    return size


def discard_chunks(session: Session, chunks: Table, upload_id: int) -> None:
    session.execute(delete(chunks).where(chunks.c.upload_id == upload_id))


class ChunkReader(io.RawIOBase):
    """The upload's bytes as a stream, fetched chunk by chunk on a connection of its own: the
    loading connection is busy with COPY while the parser reads."""

    def __init__(self, engine: Engine, chunks: Table, upload_id: int) -> None:
        self._chunks = _chunks(engine, chunks, upload_id)
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


def _chunks(engine: Engine, chunks: Table, upload_id: int) -> Generator[bytes]:
    statement = select(chunks.c.data).where(chunks.c.upload_id == upload_id)
    seq = 0
    with engine.connect() as connection:
        while (data := connection.execute(statement.where(chunks.c.seq == seq)).scalar()) is not None:
            yield bytes(data)
            seq += 1
