"""A scriptable HTTP/1.1 server on loopback for the upstream client's tests, and a way to call the client.

Each test answers with raw bytes, so it can produce what a well-behaved framework never would: a
connection closed under a request, a stall in the middle of a body, informational responses.
Every test here runs twice: on asyncio's own loop and on uvloop, which the gateway serves with.
"""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest
import uvloop

from gateway.forwarding import Forward
from gateway.http_upstream import HttpUpstream
from gateway.upstream_pool import PoolLimits


def pytest_asyncio_loop_factories(config, item):
    return {"asyncio": asyncio.new_event_loop, "uvloop": uvloop.new_event_loop}


@dataclass
class SeenRequest:
    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes
    connection: int  # which connection it came on, counted from 1
    number: int  # its place on that connection, counted from 1

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key == name), None)


Handler = Callable[[SeenRequest, asyncio.StreamWriter], Awaitable[bool]]


class RawServer:
    """Calls `handler(request, writer)` for each request; it writes the answer and returns whether
    to keep the connection open."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[SeenRequest] = []
        self.connections = 0
        self.open = 0
        self.most_open = 0

    async def start(self) -> "RawServer":
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"
        return self

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        connection, number = self.connections, 0
        self.open += 1
        self.most_open = max(self.most_open, self.open)
        try:
            while True:
                number += 1
                request = await read_request(reader, connection, number)
                if request is None:
                    break
                self.requests.append(request)
                if not await self.handler(request, writer):
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self.open -= 1
            writer.close()


async def read_request(reader: asyncio.StreamReader, connection: int, number: int) -> SeenRequest | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    line, *lines = head.decode("latin-1").split("\r\n")[:-2]
    method, target, _version = line.split(" ")
    headers = [(name.lower(), value.strip()) for name, value in (item.split(":", 1) for item in lines)]
    request = SeenRequest(method, target, headers, b"", connection, number)
    if request.header("content-length") is not None:
        request.body = await reader.readexactly(int(request.header("content-length")))
    elif request.header("transfer-encoding") == "chunked":
        parts = []
        while size := int((await reader.readuntil(b"\r\n")).strip(), 16):
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
        await reader.readexactly(2)
        request.body = b"".join(parts)
    return request


@dataclass
class Result:
    status: int
    messages: list[dict] = field(default_factory=list)

    @property
    def headers(self) -> list[tuple[bytes, bytes]]:
        return self.messages[0]["headers"]

    @property
    def body(self) -> bytes:
        return b"".join(message.get("body", b"") for message in self.messages[1:])

    @property
    def finished(self) -> bool:
        return not self.messages[-1].get("more_body", False)


async def call(
    upstream: HttpUpstream,
    method: str = "GET",
    path: str = "/svc/x",
    body: list[bytes] | None = None,
    headers: tuple[tuple[bytes, bytes], ...] = (),
    send: Callable[[dict], Awaitable[None]] | None = None,
) -> Result:
    """One request through the client as the proxy makes it; `body` is the caller's chunks."""
    chunks = list(body or [])
    request = Forward(
        headers=[(b"host", b"gateway.test"), *headers],
        request_id=b"rid-1",
        has_body=body is not None,
        target=path.encode(),
    )
    scope = {"type": "http", "method": method, "path": path, "raw_path": path.encode(), "query_string": b""}
    messages: list[dict] = []

    async def receive() -> dict:
        if chunks:
            return {"type": "http.request", "body": chunks.pop(0), "more_body": bool(chunks)}
        await asyncio.Event().wait()  # a caller that stays
        raise AssertionError("unreachable")

    async def record(message: dict) -> None:
        messages.append(message)
        if send is not None:
            await send(message)

    status = await upstream.forward(request, scope, receive, record)
    return Result(status, messages)


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[Handler], Awaitable[RawServer]]]:
    servers: list[RawServer] = []

    async def start(handler: Handler) -> RawServer:
        servers.append(await RawServer(handler).start())
        return servers[-1]

    yield start
    for server in servers:
        server.server.close()


@pytest.fixture
async def client() -> AsyncIterator[Callable[..., HttpUpstream]]:
    """`client(url, max_connections=8, silence=2.0, connect_timeout=1.0)` → an HttpUpstream."""
    made: list[HttpUpstream] = []

    def make(url: str, *, max_connections: int = 8, silence: float = 2.0, connect_timeout: float = 1.0) -> HttpUpstream:
        limits = PoolLimits(max_connections=max_connections, connect_timeout=connect_timeout, silence_timeout=silence)
        made.append(HttpUpstream("svc", url, limits))
        return made[-1]

    yield make
    for upstream in made:
        await upstream.close()


# Test modules are imported in importlib mode and cannot import this file: helpers come as fixtures.


@pytest.fixture(scope="session")
def forward() -> Callable[..., Awaitable[Result]]:
    """`await forward(upstream, method, path, body=[chunks], headers=(...), send=...)` → Result."""
    return call


def _response(status: str, headers: list[str], body: bytes = b"") -> bytes:
    lines = "".join(f"{header}\r\n" for header in headers)
    return f"HTTP/1.1 {status}\r\n{lines}\r\n".encode() + body


@pytest.fixture(scope="session")
def response() -> Callable[..., bytes]:
    """`response("200 OK", ["content-length: 2"], b"hi")` → the raw bytes of an answer."""
    return _response
