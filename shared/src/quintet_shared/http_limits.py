"""What one client may hold of a server: head size, time to send a head or a body, idle time, connections.

uvicorn's httptools protocol bounds none of it. llhttp keeps a header line however long it grows
until the line ends (a 64 MB header was read whole); a connection that never sends a byte, or stops
halfway through a head or a body, is kept for ever (uvicorn's keep-alive timer only runs between
requests); and `limit_concurrency` answers in plain text. `GuardedHttpToolsProtocol` adds:

- a head (request line and headers) over `max_header_bytes`, or one line over `max_line_bytes` →
  431, refused as soon as the bytes that arrived while the head was incomplete pass the limit, so
  memory stays flat whatever is sent;
- a head not complete `header_timeout` seconds after it began → 408;
- a body from which nothing arrived for `body_timeout` seconds while the application waits for it
  (not while reading is paused because the application has not taken what came, nor before it has
  asked for a body announced with `Expect: 100-continue`) → 408;
- a connection that never sends a request is closed after the keep-alive time, as between requests;
- a connection beyond `max_connections` → 503 with `Retry-After`, then closed.

Every answer is problem+json with `Connection: close`, and the connection closes (after LINGER_SECONDS
at most). On the hot path (a whole request in one read) the cost is a few attribute checks in two
callbacks (about 0.4 us a request): timers are armed only when a head or a body is left incomplete.
"""

import asyncio
import json
import uuid
from dataclasses import dataclass
from typing import Any, ClassVar

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from quintet_shared.errors import PROBLEM_JSON, problem_body


@dataclass(frozen=True, slots=True)
class ServerLimits:
    max_header_bytes: int = 32 * 1024
    max_line_bytes: int = 8 * 1024
    header_timeout: float = 10.0
    body_timeout: float = 30.0
    max_connections: int = 1000


# After a refusal, what the client still sends is read and dropped for a while (up to these) before
# the connection closes: closing with unread bytes makes the kernel reset the connection, and a client
# still sending its request would lose the answer with it.
LINGER_SECONDS = 2.0
LINGER_BYTES = 1024 * 1024


class _Refused(Exception):
    """Raised in a parser callback to stop the parser; the answer is in `_refusal`."""


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    limits: ClassVar[ServerLimits] = ServerLimits()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_open = False  # a request's head left incomplete by the last read
        self._head_seen = 0  # bytes that arrived from the read the open head began in onwards
        self._head_began = 0.0
        self._body_progress = 0.0
        self._guard: asyncio.TimerHandle | None = None
        self._refusal: tuple[int, str] | None = None
        self._refused = self._over_capacity = False
        self._lingered = 0
        self._max_line_bytes = self.limits.max_line_bytes

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._over_capacity = len(self.connections) > self.limits.max_connections
        # uvicorn arms its keep-alive timer only once a response is done.
        self.timeout_keep_alive_task = self.loop.call_later(self.timeout_keep_alive, self.timeout_keep_alive_handler)

    def data_received(self, data: bytes) -> None:
        if self._refused or self._over_capacity:
            self._while_refused(data)
            return
        self._head_seen = self._head_seen + len(data) if self._head_open else len(data)
        HttpToolsProtocol.data_received(self, data)  # (not super(): this runs for every request)
        if self._refused:
            return
        scope = self.scope
        if scope is not None and "method" not in scope:  # a request begun, its headers not all here
            self._head_incomplete()
            return
        self._head_open = False
        cycle = self.cycle
        if cycle is None or cycle.response_complete:
            if self.timeout_keep_alive_task is None:  # bytes that began no request: idle still
                self.timeout_keep_alive_task = self.loop.call_later(
                    self.timeout_keep_alive, self.timeout_keep_alive_handler
                )
        elif cycle.more_body:
            self._body_progress = self.loop.time()
            if self._guard is None:
                self._guard = self.loop.call_at(self._body_progress + self.limits.body_timeout, self._check)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._guard is not None:
            self._guard.cancel()
            self._guard = None
        super().connection_lost(exc)

    # httptools callbacks

    def on_headers_complete(self) -> None:
        if self._head_seen > self._max_line_bytes:  # only then can the head break a limit
            self._check_head_size()
        HttpToolsProtocol.on_headers_complete(self)

    # uvicorn's answer to a request it cannot parse, problem+json like every other error

    def send_400_response(self, msg: str) -> None:
        status, detail = self._refusal or (400, "The request is not valid HTTP/1.1.")
        self._refuse(status, detail)

    # the limits

    def _while_refused(self, data: bytes) -> None:
        if not self._refused:
            detail = f"The server holds its limit of {self.limits.max_connections} connections; retry shortly."
            self._refuse(503, detail, retry_after=True)
            return
        self._lingered += len(data)
        if self._lingered > LINGER_BYTES:
            self.transport.close()

    def _head_incomplete(self) -> None:
        if self._head_seen > self.limits.max_header_bytes:
            self._refuse(431, f"The request's headers are larger than {self.limits.max_header_bytes} bytes.")
            return
        if not self._head_open:
            self._head_open = True
            self._head_began = self.loop.time()
        due = self._head_began + self.limits.header_timeout
        if self._guard is None or self._guard.when() > due:  # (one left from a body runs later)
            if self._guard is not None:
                self._guard.cancel()
            self._guard = self.loop.call_at(due, self._check)

    def _check_head_size(self) -> None:
        """The exact sizes, once the reads a head came in were large enough to hide a breach."""
        lines = [len(self.url), *(len(name) + len(value) + 2 for name, value in self.headers)]
        if max(lines) > self.limits.max_line_bytes:
            self._refusal = (431, f"A header, or the request line, is longer than {self.limits.max_line_bytes} bytes.")
            raise _Refused()
        if sum(lines) + 2 * len(lines) > self.limits.max_header_bytes:
            self._refusal = (431, f"The request's headers are larger than {self.limits.max_header_bytes} bytes.")
            raise _Refused()

    def _check(self) -> None:
        """The one timer of a connection, for the head or the body in progress; pushed back lazily."""
        self._guard = None
        if self._refused or self.transport.is_closing():
            return
        now = self.loop.time()
        if self._head_open:
            due = self._head_began + self.limits.header_timeout
            if now >= due:
                self._refuse(408, f"The request's headers did not arrive within {self.limits.header_timeout:g} s.")
                return
        else:
            cycle = self.cycle
            if cycle is None or cycle.response_complete or not cycle.more_body:
                return
            if self.flow.read_paused or cycle.waiting_for_100_continue:
                self._body_progress = now  # the application has not asked for more: the client may wait
            due = self._body_progress + self.limits.body_timeout
            if now >= due:
                detail = f"The request body stopped arriving: nothing came for {self.limits.body_timeout:g} s."
                self._refuse(408, detail, request_id=_header(self.headers, b"x-request-id"))
                return
        self._guard = self.loop.call_at(due, self._check)

    def _refuse(self, status: int, detail: str, *, retry_after: bool = False, request_id: bytes = b"") -> None:
        """Answer with a problem and close, whatever the request's state."""
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete:
            if cycle.response_started:  # no room for an answer of ours: the response is cut short
                self.transport.close()
                return
            # The application may still be waiting for the body: it now reads a disconnect, and
            # what it sends goes nowhere (uvicorn drops the writes of a disconnected request).
            cycle.disconnected = True
            cycle.keep_alive = False
            cycle.message_event.set()
        self._refused = True
        rid = request_id[:200].decode("latin-1") or uuid.uuid4().hex
        body = problem_body(status, detail)
        body["request_id"] = rid
        payload = json.dumps(body).encode()
        head = [STATUS_LINE[status]]
        for name, value in [
            *self.server_state.default_headers,
            (b"content-type", PROBLEM_JSON.encode()),
            (b"content-length", str(len(payload)).encode()),
            (b"x-request-id", rid.encode("latin-1")),
            (b"connection", b"close"),
            *([(b"retry-after", b"1")] if retry_after else []),
        ]:
            head += (name, b": ", value, b"\r\n")
        head += (b"\r\n", payload)
        transport = self.transport
        transport.write(b"".join(head))
        if self._guard is not None:
            self._guard.cancel()
        if not transport.can_write_eof():
            transport.close()
            return
        transport.write_eof()  # the answer, then the end: a client that reads it closes its side
        self.flow.resume_reading()
        self._guard = self.loop.call_later(LINGER_SECONDS, transport.close)


def _header(headers: list[tuple[bytes, bytes]] | None, name: bytes) -> bytes:
    return next((value for key, value in headers or () if key == name), b"")
