"""Upload bombs, generated lazily (never a whole file in memory or on disk), and the work each one is
put through inside a measured child process (test_upload_bombs.py; quintet_shared.testing.measured).

Loaded by path in the child, so it imports nothing from the tests around it.
"""

import asyncio
import io
from collections.abc import Callable, Iterator
from typing import Any
from uuid import UUID

from sqlalchemy import select

from quintet_shared.bus.memory import InMemoryBus
from quintet_shared.clock import FakeClock
from quintet_shared.component import create_service_app
from quintet_shared.db import make_engine, session_scope
from quintet_shared.jobs import JobContext
from quintet_shared.runtime import Runtime
from quintet_shared.tables import job
from quintet_shared.testing.gateway import signed_headers
from readings.component import DEFINITION
from readings.config import Settings
from readings.formats.base import FileUnusable
from readings.ingestion import ingest_file
from readings.ingestion.clients import client_parser
from readings.ingestion.job import run_ingest_job

GB = 1 << 30
POINT = b'[{"identifier": "120000003100", "readings": ['
READING = b'{"value": 102.2, "read_at": "2023-11-02T00:00:00Z"}'


def _repeat(head: bytes, unit: bytes, size: int, tail: bytes = b"") -> Iterator[bytes]:
    """`head`, then `unit` again and again up to about `size` bytes, then `tail`, in ~1 MB blocks."""
    yield head
    block = unit * max(1, (1 << 20) // len(unit))
    sent = len(head)
    while sent < size:
        yield block
        sent += len(block)
    yield tail


BOMBS: dict[str, Callable[[], Iterator[bytes]]] = {
    # 720 KB: the file that took the embedded platform to 24 GB.
    "deep nesting": lambda: iter([POINT + b'{"a":' * 120_000 + b"1" + b"}" * 120_000 + b"]}]"]),
    # 30 MB: ten million empty supply points.
    "ten million tiny objects": lambda: _repeat(b"[{}", b",{}", 30_000_000, b"]"),
    # 1 GB on one line: a string that never ends.
    "a 1 GB line": lambda: _repeat(POINT + b'{"value": 1, "read_at": "', b"a" * 1024, GB, b'"}]}]'),
    # 1 GB on one line of a line-based format: skipped as it streams by, one row error.
    "a 1 GB carrots line": lambda: _repeat(b"020|0300\n022|M1|X|01\n024|", b"1" * 1024, GB, b"\n"),
    # 1 GB: the same reading again and again, as a zip bomb repeats its block.
    "one record repeated": lambda: _repeat(POINT + READING, b"," + READING, GB, b"]}]"),
    # 1 GB of NUL bytes.
    "a file of NULs": lambda: _repeat(b"", b"\x00" * 1024, GB),
}


class Lazy(io.RawIOBase):
    """A readable stream over blocks made on demand."""

    def __init__(self, blocks: Iterator[bytes]) -> None:
        self._blocks = blocks
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while not self._pending:
            block = next(self._blocks, None)
            if block is None:
                return 0
            self._pending = memoryview(block)
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def stream_of(bomb: str) -> io.BufferedReader:
    return io.BufferedReader(Lazy(BOMBS[bomb]()), buffer_size=1 << 16)


def prepare_bytes(bomb: str) -> Callable[[], bytes]:
    """The bytes of a bomb small enough to travel as an upload."""
    return lambda: b"".join(BOMBS[bomb]())


def prepare_job(database_url: str, job_id: str, client: str) -> Callable[[], dict[str, Any]]:
    """The `ingest_file` job of an uploaded bomb, as a worker runs it."""
    engine = make_engine(database_url)

    def run() -> dict[str, Any]:
        with session_scope(engine) as session:
            payload = session.execute(select(job.c.payload).where(job.c.id == UUID(job_id))).scalar_one()
        context = JobContext(UUID(job_id), "ingest_file", client, payload, engine=engine, clock=FakeClock())
        outcome = run_ingest_job(context)
        return {"failed": outcome.failed, "result": dict(outcome.result), "errors": list(outcome.errors)}

    return run


def prepare_ingestion(database_url: str, bomb: str, client: str) -> Callable[[], dict[str, Any]]:
    """A bomb too big for an upload, through the ingestion use case (what the job and `readings
    ingest` call), read from a stream generated as it is read. FileUnusable fails the job: so here."""
    engine = make_engine(database_url)

    def run() -> dict[str, Any]:
        try:
            with session_scope(engine) as session:
                parser, timezone = client_parser(session, client)
                result = ingest_file(
                    session, client=client, name=bomb, stream=stream_of(bomb), parser=parser, timezone=timezone
                )
        except FileUnusable as error:
            return {"failed": True, "errors": [{"message": str(error)}]}
        return {"failed": False, "result": result.counts(), "errors": [e.as_dict() for e in result.errors]}

    return run


def prepare_http_upload(database_url: str, declared: bool) -> Callable[[], dict[str, Any]]:
    """POST /readings/files with a 1 GB body, made as it is sent, straight into the service's ASGI
    app: with its Content-Length declared, or streamed without one."""
    engine = make_engine(database_url)
    settings = Settings(database_url=database_url)
    app = create_service_app(DEFINITION, settings, Runtime(engine=engine, bus=InMemoryBus()))
    target = "/readings/files"
    signed = signed_headers(settings.gateway_secret, method="POST", target=target, client="potatoes")
    headers = [(name.lower().encode(), value.encode()) for name, value in signed.items()]
    headers.append((b"content-type", b"multipart/form-data; boundary=bomb"))
    if declared:
        headers.append((b"content-length", str(GB).encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": target,
        "raw_path": target.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    head = b'--bomb\r\nContent-Disposition: form-data; name="file"; filename="big.json"\r\n\r\n'

    async def drive() -> dict[str, Any]:
        blocks = _repeat(head, b"x" * 1024, GB)
        answer: dict[str, Any] = {"read": 0}

        async def receive() -> dict[str, Any]:
            block = next(blocks, None)
            if block is None:
                return {"type": "http.request", "body": b"", "more_body": False}
            answer["read"] += len(block)
            return {"type": "http.request", "body": block, "more_body": True}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]

        async with app.router.lifespan_context(app):
            await app(scope, receive, send)
        return answer

    return lambda: asyncio.run(drive())
