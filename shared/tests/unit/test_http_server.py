"""The coalescing transport under uvicorn's protocol (a recording transport in place of a socket)."""

import asyncio

import pytest

from quintet_shared import http_server
from quintet_shared.http_server import CoalescingTransport
from quintet_shared.settings import ComponentSettings


class RecordingTransport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = self.aborted = False

    def write(self, data: bytes) -> None:  # type: ignore[override]
        self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = True

    def is_closing(self) -> bool:
        return self.closed or self.aborted

    def get_write_buffer_size(self) -> int:
        return 0


async def test_writes_of_one_turn_go_out_as_one() -> None:
    inner = RecordingTransport()
    transport = CoalescingTransport(inner, asyncio.get_running_loop())
    transport.write(b"HTTP/1.1 200 OK\r\n\r\n")
    transport.write(b"body")
    assert inner.writes == [] and transport.get_write_buffer_size() == 23
    await asyncio.sleep(0)
    assert inner.writes == [b"HTTP/1.1 200 OK\r\n\r\nbody"]
    transport.write(b"next")
    await asyncio.sleep(0)
    assert inner.writes[-1] == b"next" and transport.get_write_buffer_size() == 0


async def test_large_writes_go_out_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(http_server, "COALESCE_LIMIT", 10)
    inner = RecordingTransport()
    transport = CoalescingTransport(inner, asyncio.get_running_loop())
    transport.write(b"head")
    transport.write(b"x" * 10)
    assert inner.writes == [b"head" + b"x" * 10]
    await asyncio.sleep(0)
    assert len(inner.writes) == 1  # the scheduled flush found nothing left


async def test_close_sends_what_was_gathered_and_abort_drops_it() -> None:
    loop = asyncio.get_running_loop()
    closing, aborting = RecordingTransport(), RecordingTransport()
    first, second = CoalescingTransport(closing, loop), CoalescingTransport(aborting, loop)
    first.write(b"last words")
    first.close()
    second.write(b"never sent")
    second.abort()
    await asyncio.sleep(0)
    assert (closing.writes, closing.closed) == ([b"last words"], True)
    assert (aborting.writes, aborting.aborted) == ([], True)


def test_every_component_serves_with_the_coalescing_protocol_within_its_limits() -> None:
    settings = ComponentSettings(http_max_header_bytes=4096, http_keep_alive_seconds=2.5)
    options = http_server.server_options(settings)
    assert issubclass(options["http"], http_server.CoalescingHttpToolsProtocol)
    assert options["http"].limits.max_header_bytes == 4096
    assert options["timeout_keep_alive"] == 2.5


async def test_a_large_write_with_nothing_gathered_goes_straight_through(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(http_server, "COALESCE_LIMIT", 10)
    inner = RecordingTransport()
    transport = CoalescingTransport(inner, asyncio.get_running_loop())
    transport.write(b"y" * 10)
    assert inner.writes == [b"y" * 10] and transport.get_write_buffer_size() == 0
