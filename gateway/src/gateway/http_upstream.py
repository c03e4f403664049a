"""A service over HTTP/1.1 (distributed mode): pooled keep-alive connections, both bodies streamed.

Failures before the response starts become problems: the service unreachable, closing the
connection or answering gibberish → 502; silent longer than the timeout → 504; every connection the
gateway may open to it busy for longer than the connect timeout → 503; a caller whose body does not
match its own framing → 400. Once the response has started, a failure can only cut it short: the
caller gets a truncated response (its connection is closed) and the gateway logs it.
"""

import asyncio
import logging
import time

from starlette.types import Receive, Scope, Send

from gateway.asgi import Headers, wait_for_disconnect
from gateway.forwarding import (
    BadRequestBody,
    Forward,
    UpstreamBusy,
    UpstreamError,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from gateway.upstream_connection import ConnectionDropped, UpstreamConnection, UpstreamProtocolError
from gateway.upstream_pool import ConnectFailed, ConnectionPool, Origin, PoolLimits, PoolTimeout

log = logging.getLogger(__name__)

# Safe to send twice when the first attempt provably never reached the service (RFC 9110 §9.2.2).
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
# Responses up to this size are read whole and sent in one piece: one ASGI message instead of
# several, and a failure while reading them still becomes a clean problem.
_SMALL_BODY = 64 * 1024
_BROKEN = (TimeoutError, ConnectionDropped, UpstreamProtocolError)


class _CallerGone(Exception):
    """The caller disconnected while its response was streaming."""


class HttpUpstream:
    def __init__(self, name: str, base_url: str, limits: PoolLimits) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.pool = ConnectionPool(Origin.parse(self.base_url), limits)
        self._base_path = self.pool.origin.base_path
        self._host = self.pool.origin.host_header

    async def forward(self, request: Forward, scope: Scope, receive: Receive, send: Send) -> int:
        method: str = scope["method"]
        # Exactly the target the proxy signed (quintet_shared.signing.raw_target).
        target = self._base_path + request.target
        head, length = request_head(method, target, request.headers, self._host, request.has_body)
        connection, uploaded = await self._exchange(method, head, receive if request.has_body else None, length)
        try:
            status = connection.status
            headers = connection.headers
            if not connection.has_request_id:
                headers.append((b"x-request-id", request.request_id))
            if not connection.complete:
                # Only once the whole body is read may anyone else call receive() (to notice a hang-up).
                return await self._relay(connection, status, headers, request, send, receive if uploaded else None)
            # The common case, a response already in whole: one message for its body.
            content = connection.take()
            if status in (204, 304):  # no body whatever a length says; the server would expect one
                headers = [header for header in headers if header[0] != b"content-length"]
            request.responded_at = time.perf_counter()
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": content})
            return status
        finally:
            self.pool.release(connection)

    async def get(self, path: str) -> tuple[int, bytes]:
        origin = self.pool.origin
        target = origin.base_path + path.encode()
        head = b"GET %b HTTP/1.1\r\nhost: %b\r\naccept: */*\r\n\r\n" % (target, origin.host_header)
        connection, _ = await self._exchange("GET", head, None, None)
        try:
            return connection.status, await _read_all(connection)
        finally:
            self.pool.release(connection)

    async def close(self) -> None:
        await self.pool.close()

    async def _exchange(
        self, method: str, head: bytes, body: Receive | None, length: int | None
    ) -> tuple[UpstreamConnection, bool]:
        """Sends the request and waits for the response head. Returns the connection and whether the
        whole body went out (the service may answer early and stop reading it)."""
        connection = self.pool.take_idle()
        reused = connection is not None
        if connection is None:
            connection, reused = await self._acquire()
        while True:
            try:
                connection.begin(head, head_only=method == "HEAD", body_follows=body is not None)
                uploaded = body is None or await _upload(connection, body, length)
                while not connection.head_done:
                    await connection.wait()
                return connection, uploaded
            except ConnectionDropped as exc:
                if not (reused and body is None and method in _IDEMPOTENT):
                    self.pool.release(connection)
                    self._raise_as_problem(exc)
                    raise
                failed = exc
            except BaseException as exc:
                self.pool.release(connection)
                self._raise_as_problem(exc)
                raise
            # The service closed a kept-alive connection just as the request went out: it cannot
            # have acted on it, and the request is safe to repeat, so it goes once more on a new one.
            log.info("%s: a kept-alive connection closed under a %s request (%s); retrying", self.name, method, failed)
            reused = False
            try:
                connection = await self.pool.reconnect(connection)
            except Exception as exc:
                self._raise_as_problem(exc)  # the slot went with the failed attempt: nothing to release
                raise

    async def _acquire(self) -> tuple[UpstreamConnection, bool]:
        try:
            return await self.pool.acquire()
        except Exception as exc:
            self._raise_as_problem(exc)
            raise

    async def _relay(
        self,
        connection: UpstreamConnection,
        status: int,
        headers: Headers,
        request: Forward,
        send: Send,
        receive: Receive | None,
    ) -> int:
        """A response still arriving: read whole first when small (one message, and a failure still
        becomes a problem), else streamed on as it comes."""
        length = connection.content_length
        if length is not None and length <= _SMALL_BODY:
            try:
                content = await _read_all(connection)
            except Exception as exc:
                self._raise_as_problem(exc)
                raise
            request.responded_at = time.perf_counter()
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": content})
            return status
        request.responded_at = time.perf_counter()
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await self._stream(connection, send, receive)
        return status

    async def _stream(self, connection: UpstreamConnection, send: Send, receive: Receive | None) -> None:
        """Passes the body on as it arrives. When receive is given, a caller hanging up stops it: an
        event stream has no end of its own, and the server's send() quietly drops what nobody reads."""
        gone = None
        streaming = True
        if receive is not None:

            def hung_up(task: asyncio.Future[None]) -> None:
                # Not once the stream is over: by then the connection may serve another request.
                if streaming and not task.cancelled():
                    connection.fail(_CallerGone())  # wakes the loop below if it waits on the service

            gone = asyncio.ensure_future(wait_for_disconnect(receive))
            gone.add_done_callback(hung_up)
        try:
            while True:
                chunk = await connection.read()
                done = connection.drained
                await send({"type": "http.response.body", "body": chunk, "more_body": not done})
                if done:
                    return
        except _CallerGone:
            pass  # the connection is dropped with the rest of the response
        except _BROKEN as exc:
            log.warning("%s: the response broke off after it started; the caller's is cut short (%s)", self.name, exc)
        finally:
            streaming = False
            if gone is not None:
                gone.cancel()

    def _raise_as_problem(self, exc: BaseException) -> None:
        """Raises the problem a failure before the response amounts to; returns for anything else."""
        if isinstance(exc, UpstreamError):
            raise exc
        if isinstance(exc, PoolTimeout):
            raise UpstreamBusy(f"Too many requests are waiting for the {self.name} service; retry shortly.") from exc
        if isinstance(exc, TimeoutError):
            raise UpstreamTimeout(f"The {self.name} service did not answer in time.") from exc
        if isinstance(exc, ConnectFailed | ConnectionDropped | OSError):
            raise UpstreamUnavailable(f"The {self.name} service is unreachable.") from exc
        if isinstance(exc, UpstreamProtocolError):
            raise UpstreamUnavailable(f"The {self.name} service sent an invalid response.") from exc


def request_head(method: str, target: bytes, headers: Headers, host: bytes, has_body: bool) -> tuple[bytes, int | None]:
    """The request line and headers, and the body's declared length (None: a body goes chunked).
    The caller's Host is kept; the service's own is added only when there is none."""
    parts = [method.encode("ascii"), b" ", target, b" HTTP/1.1\r\n"]
    for name, value in headers:
        parts += (name, b": ", value, b"\r\n")
    # Clients send Host first, so the usual check is one comparison.
    if not (headers and headers[0][0] == b"host") and all(name != b"host" for name, _ in headers):
        parts += (b"host: ", host, b"\r\n")
    declared = None
    if has_body:
        declared = next((value for name, value in headers if name == b"content-length"), None)
        if declared is None:
            parts.append(b"transfer-encoding: chunked\r\n")
    parts.append(b"\r\n")
    try:
        return b"".join(parts), None if declared is None else int(declared)
    except ValueError:
        raise BadRequestBody("The Content-Length header is not a number.") from None


async def _read_all(connection: UpstreamConnection) -> bytes:
    parts = []
    while data := await connection.read():
        parts.append(data)
    return parts[0] if len(parts) == 1 else b"".join(parts)


async def _upload(connection: UpstreamConnection, receive: Receive, length: int | None) -> bool:
    """Returns False when the service answered before taking the whole body (a refusal, typically)
    and then stopped reading it."""
    try:
        await _copy_body(connection, receive, length)
    except _BROKEN:
        if not connection.head_done:
            raise
        connection.keep_alive = False  # it still expects the rest of a body it will not get
        return False
    return True


async def _copy_body(connection: UpstreamConnection, receive: Receive, length: int | None) -> None:
    """The caller's body as it arrives, never more than the transport's buffer at a time; exactly
    the declared length, or chunked when none was declared."""
    sent = 0
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise BadRequestBody("The caller went away before its whole request body arrived.")
        chunk = message.get("body", b"")
        more = message.get("more_body", False)
        if not chunk:
            continue
        sent += len(chunk)
        if length is None:
            connection.write_chunk(chunk)
        elif sent > length:
            raise BadRequestBody("The request body is longer than its Content-Length.")
        else:
            connection.write(chunk)
        await connection.drain()
    if length is None:
        connection.write(b"0\r\n\r\n")
    elif sent < length:
        raise BadRequestBody("The request body is shorter than its Content-Length.")
