"""How every component's HTTP server runs: uvicorn's options, and a protocol that writes once per response
and holds each client to the limits of quintet_shared.http_limits (set by the HTTP_* settings).

uvicorn writes a response's status line and headers in one `transport.write` and its body in
another: two system calls for the usual small response, a fifth of the gateway's CPU per request
under load. `CoalescingHttpToolsProtocol` hands uvicorn a transport that gathers the writes made
in one turn of the event loop and sends them together at the end of it (`loop.call_soon`), or at
once past COALESCE_LIMIT bytes, so large and streamed bodies flow as before and flow control
(pause_writing, drain) still sees them.
"""

import asyncio
from typing import Any

from quintet_shared.http_limits import GuardedHttpToolsProtocol, ServerLimits
from quintet_shared.settings import ComponentSettings

COALESCE_LIMIT = 16 * 1024


class CoalescingTransport(asyncio.Transport):
    """A transport's writes gathered until the end of the event loop's turn; the rest delegated."""

    def __init__(self, inner: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._inner = inner
        self._loop = loop
        self._pending: list[bytes] = []
        self._pending_size = 0

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not data:
            return
        if not self._pending:
            if len(data) >= COALESCE_LIMIT:  # nothing to join it with: no copy, no callback
                self._inner.write(data)
                return
            self._loop.call_soon(self.flush)
        self._pending.append(bytes(data))
        self._pending_size += len(data)
        if self._pending_size >= COALESCE_LIMIT:
            self.flush()

    def writelines(self, list_of_data: Any) -> None:
        for data in list_of_data:
            self.write(data)

    def flush(self) -> None:
        """Send what was gathered (a scheduled flush finding nothing left does nothing)."""
        if not self._pending:
            return
        pending = self._pending
        self._pending, self._pending_size = [], 0
        if not self._inner.is_closing():
            self._inner.write(pending[0] if len(pending) == 1 else b"".join(pending))

    def close(self) -> None:
        self.flush()
        self._inner.close()

    def abort(self) -> None:
        self._pending, self._pending_size = [], 0
        self._inner.abort()

    def write_eof(self) -> None:
        self.flush()
        self._inner.write_eof()

    def can_write_eof(self) -> bool:
        return self._inner.can_write_eof()

    def is_closing(self) -> bool:
        return self._inner.is_closing()

    def get_write_buffer_size(self) -> int:
        return self._inner.get_write_buffer_size() + self._pending_size

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return self._inner.get_write_buffer_limits()

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self._inner.set_write_buffer_limits(high, low)

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._inner.get_extra_info(name, default)

    def pause_reading(self) -> None:
        self._inner.pause_reading()

    def resume_reading(self) -> None:
        self._inner.resume_reading()

    def is_reading(self) -> bool:
        return self._inner.is_reading()

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self.flush()
        self._inner.set_protocol(protocol)

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self._inner.get_protocol()


class CoalescingHttpToolsProtocol(GuardedHttpToolsProtocol):
    """uvicorn's httptools protocol, within limits, writing through a CoalescingTransport."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(CoalescingTransport(transport, self.loop))


def server_options(settings: ComponentSettings | None = None) -> dict[str, Any]:
    """uvicorn options every component's API runs with (all modes); settings from the environment
    when None."""
    settings = settings or ComponentSettings()
    limits = ServerLimits(
        max_header_bytes=settings.http_max_header_bytes,
        max_line_bytes=settings.http_max_header_line_bytes,
        header_timeout=settings.http_header_timeout_seconds,
        body_timeout=settings.http_body_timeout_seconds,
        max_connections=settings.http_max_connections,
    )
    # uvicorn makes the protocol from its class: the limits go with a subclass of their own.
    protocol = type("QuintetHttpProtocol", (CoalescingHttpToolsProtocol,), {"limits": limits})
    return {
        "loop": "uvloop",
        "http": protocol,
        "timeout_keep_alive": settings.http_keep_alive_seconds,
        "access_log": False,  # request logs come from our middleware, with request id and client
        "proxy_headers": False,  # no X-Forwarded-* is trusted: the gateway is the edge
    }
