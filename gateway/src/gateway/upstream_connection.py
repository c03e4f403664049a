"""One keep-alive HTTP/1.1 connection to a service, as an asyncio protocol with httptools' parser.

The protocol callbacks parse the response as its bytes arrive; the coroutine forwarding a request
waits on one future at a time (the response head, more body, room to write). Past a high-water mark
of body not yet taken by the caller, reading from the service pauses: a slow caller holds it back.
Silence counts only while that coroutine waits on the service, never while it waits on the caller.
"""

import asyncio
from collections import deque
from collections.abc import Callable

import httptools

from gateway.forwarding import RESPONSE_DROP

# Response body held for the caller before reading from the service pauses.
_READ_HIGH = 256 * 1024
# Response headers that need more than passing on, by kind: one dictionary lookup per header.
_DROP, _LENGTH, _REQUEST_ID, _FRAMING = "drop", "length", "request id", "framing"
_SPECIAL = {
    **dict.fromkeys(RESPONSE_DROP, _DROP),
    b"content-length": _LENGTH,
    b"x-request-id": _REQUEST_ID,
    b"transfer-encoding": _FRAMING,
}


class ConnectionDropped(Exception):
    """The service closed or reset the connection before sending a single byte of the response."""


class UpstreamProtocolError(Exception):
    """The service sent something that is not an HTTP/1.1 response, or broke one off."""


class _Unexpected(Exception):
    """Raised in a parser callback to stop it: the service sent more than was asked for."""


class UpstreamConnection(asyncio.Protocol):
    transport: asyncio.Transport  # set by connection_made, before anyone else sees the connection

    def __init__(
        self, loop: asyncio.AbstractEventLoop, silence: float, on_lost: Callable[["UpstreamConnection"], None]
    ) -> None:
        self._loop = loop
        self._silence = silence
        self._on_lost = on_lost
        self.closed = self.parked = False  # parked: idle in its pool
        self.idle_since = self._progress_at = 0.0
        self._error: BaseException | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._write_paused = self._read_paused = False
        self._chunks: deque[bytes] = deque()
        self._buffered = 0
        self._held = b""  # a request head waiting for the first piece of its body
        self._parser: httptools.HttpResponseParser | None = None
        self._head_only = self._got_bytes = self._until_eof = self._chunked = False
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []  # as the caller is to see them: see on_header
        self.content_length: int | None = None
        self.has_request_id = self.head_done = self.keep_alive = False
        self.complete = True  # no exchange in progress: anything the service sends now is unasked for

    def begin(self, head: bytes, *, head_only: bool, body_follows: bool) -> None:
        """Send a request's head (with a body, together with its first piece: one segment rather
        than two) and get ready for the response. The parser carries on from one response to the
        next, except after a HEAD: it would still wait for the body the headers announced."""
        if not self.usable:  # closed since it was handed out: the request has not gone anywhere
            raise ConnectionDropped("the connection closed before the request went out")
        if self._parser is None or self._head_only:  # (still the previous exchange's)
            self._parser = httptools.HttpResponseParser(self)
        self._head_only = head_only
        self._got_bytes = self._until_eof = self._chunked = self.has_request_id = False
        self.head_done = self.complete = self.keep_alive = False
        self.headers, self.content_length = [], None
        if body_follows:
            self._held = head
        else:
            self.transport.write(head)

    @property
    def usable(self) -> bool:
        """Open, and not known to be closing (the service's goodbye may be read but not yet acted on)."""
        return self._error is None and not self.closed and not self.transport.is_closing()

    @property
    def reusable(self) -> bool:
        return self.complete and self.keep_alive and self.usable

    @property
    def drained(self) -> bool:
        """The whole response has been taken by the caller."""
        return self.complete and not self._chunks

    def write(self, data: bytes) -> None:
        self._check_writable()
        self.transport.writelines((self._held, data))
        self._held = b""

    def write_chunk(self, data: bytes) -> None:
        self._check_writable()
        self.transport.writelines((self._held, b"%x\r\n" % len(data), data, b"\r\n"))
        self._held = b""

    async def drain(self) -> None:
        while self._write_paused:
            await self.wait()

    async def read(self) -> bytes:
        """The body received since the last call, b"" once it is complete."""
        while not self._chunks:
            if self.complete:
                return b""
            await self.wait()
        return self.take()

    def take(self) -> bytes:
        """The body received so far, without waiting."""
        chunks = self._chunks
        data = chunks.popleft() if len(chunks) == 1 else b"".join(chunks)
        chunks.clear()
        self._buffered = 0
        if self._read_paused:
            self._read_paused = False
            self.transport.resume_reading()
        return data

    def fail(self, error: BaseException) -> None:
        """Give up on this connection: whoever waits on it gets `error`."""
        if self._error is None:
            self._error = error
        self._wake()
        self.abort()

    def abort(self) -> None:
        if not self.closed:
            self.transport.abort()

    def close(self) -> None:
        if not self.closed:
            self.transport.close()

    def park(self, now: float) -> None:
        """Back to the pool, idle."""
        self.parked = True
        self.idle_since = now
        if self._read_paused:
            self._read_paused = False
            self.transport.resume_reading()

    def wait(self) -> "asyncio.Future[None]":
        """A future resolved when something happens (bytes arrive, room to write, the end), or failed
        with the connection's error. Callers await it in a loop that re-checks what they wait for:
        a plain future rather than a coroutine keeps a layer off every request."""
        if self._error is not None or self.closed:
            raise self._error or UpstreamProtocolError("the connection is closed")
        waiter = self._waiter = self._loop.create_future()
        self._progress_at = self._loop.time()
        if self._timer is None:
            self._timer = self._loop.call_at(self._progress_at + self._silence, self._check_silence)
        return waiter

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if waiter.done():  # its task was cancelled
                return
            if self._error is None:
                waiter.set_result(None)
            else:
                waiter.set_exception(self._error)

    def _check_silence(self) -> None:
        # One timer per connection, pushed back lazily: cheaper than a timer per wait.
        self._timer = None
        if self._waiter is None or self._waiter.done() or self.closed:
            return
        due = self._progress_at + self._silence
        if self._loop.time() >= due:
            self.fail(TimeoutError(f"no answer for {self._silence:g} s"))
        else:
            self._timer = self._loop.call_at(due, self._check_silence)

    def _check_writable(self) -> None:
        if self._error is not None:
            raise self._error
        if self.closed or self.transport.is_closing():
            raise UpstreamProtocolError("the connection was closed while the request was being sent")

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self._progress_at = self._loop.time()
        if self.complete:
            # Unasked-for bytes: the next request's response could not be told apart from them.
            self.keep_alive = False
            self.abort()
            return
        self._got_bytes = True
        try:
            self._parser.feed_data(data)  # type: ignore[union-attr]
        except httptools.HttpParserError as exc:
            self.keep_alive = False
            if not self.complete:
                self.fail(UpstreamProtocolError(f"invalid response: {exc}"))
            self.abort()
        self._wake()  # once per arrival rather than per callback

    def eof_received(self) -> bool:
        if not self.complete and self._until_eof:
            self.complete = True  # a body without a length ends where the connection does
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.keep_alive = self._write_paused = False
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self.complete:
            if self._until_eof and exc is None:
                self.complete = True  # in case the transport reports the end only here
            elif not self._got_bytes:
                self.fail(ConnectionDropped(f"connection closed before the response ({exc or 'EOF'})"))
            else:
                self.fail(UpstreamProtocolError(f"the response broke off ({exc or 'EOF'})"))
        self._wake()  # also tells a writer waiting for room that there is none to come
        self._on_lost(self)

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
        self._progress_at = self._loop.time()
        self._wake()

    # httptools callbacks; they only record, data_received wakes the waiting coroutine.

    def on_message_begin(self) -> None:
        if self.complete:
            raise _Unexpected()

    def on_header(self, name: bytes, value: bytes) -> None:
        # Filtered and lower-cased here, in the one pass over the headers, for the caller's response.
        lower = name.lower()
        kind = _SPECIAL.get(lower)
        if kind is None:
            if not lower.startswith(b"proxy-"):
                self.headers.append((lower, value))
        elif kind is _LENGTH:
            self.content_length = int(value)  # the parser has checked it is a number
            self.headers.append((lower, value))
        elif kind is _REQUEST_ID:
            self.has_request_id = True
            self.headers.append((lower, value))
        elif kind is _FRAMING:  # only a final "chunked" frames the body by itself
            self._chunked = value.rstrip().lower().endswith(b"chunked")

    def on_headers_complete(self) -> None:
        parser: httptools.HttpResponseParser = self._parser  # type: ignore[assignment]
        status = parser.get_status_code()
        if status < 200:
            if status == 101:  # never asked for: the gateway passes no Upgrade on
                self.fail(UpstreamProtocolError("the service switched protocols"))
                raise _Unexpected()
            # An informational response: the final one follows.
            self.headers = []
            self.content_length = None
            self._chunked = self.has_request_id = False
            return
        self.status = status
        self.keep_alive = parser.should_keep_alive()
        self.head_done = True
        if self._head_only:
            self.complete = True
        elif not self._chunked and self.content_length is None and status not in (204, 304):
            self._until_eof = True
            self.keep_alive = False

    def on_body(self, body: bytes) -> None:
        if self.complete:  # a body after a HEAD's headers
            raise _Unexpected()
        self._chunks.append(body)
        self._buffered += len(body)
        if self._buffered > _READ_HIGH and not self._read_paused:
            self._read_paused = True
            self.transport.pause_reading()

    def on_message_complete(self) -> None:
        if self.head_done:  # not the end of an informational response
            self.complete = True
