"""Server-sent events through the real gateway: unbuffered, not cut while events or keep-alive comments
keep coming, cut when the service falls silent, and closed at the service when the caller hangs up.

A tiny SSE service is served both over HTTP (distributed mode) and in-process (embedded mode), behind a
gateway whose upstream silence timeout is short, so that a stream outlives it many times over.
"""

import asyncio
import threading
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from fastapi.responses import StreamingResponse

from gateway.main import create_app

SILENCE_TIMEOUT = 0.5


@dataclass
class Produced:
    """What the service did with one stream, seen from the test's thread."""

    sent: int = 0
    closed: threading.Event = field(default_factory=threading.Event)


def sse_service(name: str) -> FastAPI:
    app = FastAPI()
    app.state.streams = {}
    router = APIRouter(prefix=f"/{name}")

    def stream(key: str, body: AsyncIterator[bytes]) -> StreamingResponse:
        produced = app.state.streams[key] = Produced()

        async def counted() -> AsyncIterator[bytes]:
            try:
                async for chunk in body:
                    produced.sent += 1
                    yield chunk
            finally:  # runs when the stream ends, and when it is cancelled because the caller left
                produced.closed.set()

        headers = {"Cache-Control": "no-cache"}
        return StreamingResponse(counted(), media_type="text/event-stream", headers=headers)

    @router.get("/ticks")
    async def ticks(key: str, count: int, every: float) -> StreamingResponse:
        async def body() -> AsyncIterator[bytes]:
            for n in range(count):
                yield b"id: %d\ndata: tick %d\n\n" % (n, n)
                await asyncio.sleep(every)

        return stream(key, body())

    @router.get("/quiet")
    async def quiet(key: str, pings: int, every: float) -> StreamingResponse:
        async def body() -> AsyncIterator[bytes]:
            yield b"retry: 1000\n\n"
            for _ in range(pings):
                await asyncio.sleep(every)
                yield b": keep-alive\n\n"
            yield b"data: at last\n\n"

        return stream(key, body())

    @router.get("/stalls")
    async def stalls(key: str, seconds: float) -> StreamingResponse:
        async def body() -> AsyncIterator[bytes]:
            yield b"data: before\n\n"
            await asyncio.sleep(seconds)
            yield b"data: after\n\n"

        return stream(key, body())

    @router.get("/endless")
    async def endless(key: str) -> StreamingResponse:
        async def body() -> AsyncIterator[bytes]:
            for n in range(2000):  # bounded: 100 s at most if nothing ever stops it
                yield b"data: %d\n\n" % n
                await asyncio.sleep(0.05)

        return stream(key, body())

    app.include_router(router)
    return app


@dataclass
class Streams:
    url: str
    services: dict[str, FastAPI]
    app_id: str


@pytest.fixture(scope="module")
def streams(serve_module, tmp_path_factory, gateway_settings, register_client) -> Streams:
    over_http, embedded = sse_service("readings"), sse_service("crm")
    upstream = serve_module(over_http)
    database = tmp_path_factory.mktemp("streams") / "gateway.db"
    settings = gateway_settings(f"sqlite:///{database}", timeout_seconds=SILENCE_TIMEOUT)
    gateway = serve_module(create_app(settings, upstreams={"readings": upstream.url, "crm": embedded}, migrate=True))
    client = register_client(gateway.url, f"sse{uuid.uuid4().hex[:8]}", ["readings", "crm"])
    return Streams(gateway.url, {"readings": over_http, "crm": embedded}, client["app_id"])


def signed_in(streams: Streams) -> httpx.Client:
    browser = httpx.Client(base_url=streams.url, timeout=10)
    assert browser.post("/login", data={"app_id": streams.app_id}).status_code == 303
    return browser


def events(chunks: list[bytes]) -> list[bytes]:
    return [event for event in b"".join(chunks).split(b"\n\n") if event]


SERVICES = pytest.mark.parametrize("service", ["readings", "crm"], ids=["over HTTP", "embedded"])
AUTH = pytest.mark.parametrize("auth", ["app id", "cookie"])


def open_stream(streams: Streams, auth: str, path: str):
    if auth == "cookie":
        return signed_in(streams).stream("GET", path)
    return httpx.stream("GET", streams.url + path, headers={"X-App-Id": streams.app_id}, timeout=10)


@SERVICES
@AUTH
def test_events_arrive_one_by_one_for_longer_than_the_silence_timeout(streams, service, auth):
    key = uuid.uuid4().hex
    path = f"/{service}/ticks?key={key}&count=12&every=0.2"
    started = time.monotonic()
    arrivals: list[float] = []
    chunks: list[bytes] = []
    with open_stream(streams, auth, path) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-cache"
        for chunk in response.iter_raw():
            chunks.append(chunk)
            arrivals.append(time.monotonic() - started)
    # Every event, in order, over about 2.4 s: almost five times the gateway's silence timeout.
    assert events(chunks) == [b"id: %d\ndata: tick %d" % (n, n) for n in range(12)]
    assert arrivals[-1] - arrivals[0] > 4 * SILENCE_TIMEOUT
    # Unbuffered: the events came spread over the stream's life, not all at its end.
    assert len([moment for moment in arrivals if moment < arrivals[-1] - 1.0]) >= 4


@SERVICES
def test_keep_alive_comments_hold_a_quiet_stream_open(streams, service):
    key = uuid.uuid4().hex
    chunks: list[bytes] = []
    with open_stream(streams, "app id", f"/{service}/quiet?key={key}&pings=8&every=0.25") as response:
        chunks.extend(response.iter_raw())
    # Two seconds without an event, yet nothing was cut: the comments count as the service speaking.
    assert events(chunks)[-1] == b"data: at last"
    assert events(chunks).count(b": keep-alive") == 8


@SERVICES
def test_a_service_silent_past_the_timeout_has_its_stream_cut(streams, service):
    key = uuid.uuid4().hex
    chunks: list[bytes] = []
    started = time.monotonic()
    with open_stream(streams, "app id", f"/{service}/stalls?key={key}&seconds=3") as response:
        assert response.status_code == 200
        cut = False
        try:
            for chunk in response.iter_raw():
                chunks.append(chunk)
        except httpx.RemoteProtocolError:
            cut = True  # the gateway closed a response it could not finish: the caller sees it cut short
    if service == "readings":
        assert cut
        assert events(chunks) == [b"data: before"]
        assert time.monotonic() - started < 2.5
    else:
        # In-process there is no upstream connection to time out: the service's own stream decides.
        assert events(chunks) == [b"data: before", b"data: after"]


@SERVICES
@AUTH
def test_the_caller_hanging_up_closes_the_stream_at_the_service(streams, service, auth):
    key = uuid.uuid4().hex
    with open_stream(streams, auth, f"/{service}/endless?key={key}") as response:
        received = 0
        for chunk in response.iter_raw():
            received += chunk.count(b"\n\n")
            if received >= 3:
                break
    produced = streams.services[service].state.streams[key]
    assert produced.closed.wait(3), "the service went on producing for a caller that had left"
    sent_when_closed = produced.sent
    time.sleep(0.3)
    assert produced.sent == sent_when_closed
    assert sent_when_closed < 60  # stopped within about a second of the hang-up (50 ms per event)
