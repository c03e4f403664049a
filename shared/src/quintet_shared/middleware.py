"""The request middleware of every service: request id, metrics, and the guards on raw input.

A plain ASGI middleware rather than Starlette's BaseHTTPMiddleware, which would buffer streamed
bodies and cost a task per request.
"""

import json
import logging
import time
import uuid
from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from quintet_shared.errors import problem_body
from quintet_shared.logs import client_var, request_id_var
from quintet_shared.metrics import Metrics
from quintet_shared.multipart_scan import NUL_MARKERS, NUL_REFUSED, MultipartNulScanner, MultipartRefused, boundary_of

log = logging.getLogger("quintet.request")

REQUEST_ID = b"x-request-id"
# Every body is scanned for NUL whatever it claims to be (FastAPI parses any `+json` type as JSON,
# and a missing or unknown type may be read as text), except file content: an octet-stream body is
# its parser's business, and so is a multipart file part (its headers and the plain fields are
# scanned); file parsers report a file of NULs themselves.
FILE_BODY_TYPE = b"application/octet-stream"
MULTIPART_BODY_TYPE = b"multipart/form-data"


class InputRefused(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


class BodyGuard:
    """Counts and scans the body as the app reads it, chunk by chunk (nothing is buffered).

    NUL is refused for every database alike: PostgreSQL cannot store it and SQLite silently would.
    """

    def __init__(
        self, receive: Receive, *, limit: int, scan_for_nul: bool, multipart: MultipartNulScanner | None = None
    ) -> None:
        self.receive = receive
        self.limit = limit
        self.scan_for_nul = scan_for_nul
        self.multipart = multipart
        self.received = 0
        self.tail = b""  # the end of the previous chunk, so that a marker split in two is seen
        self.refused: InputRefused | None = None

    async def __call__(self) -> Message:
        message = await self.receive()
        if message["type"] == "http.request":
            chunk = message.get("body", b"")
            self.received += len(chunk)
            if self.received > self.limit:
                self._refuse(413, f"The request body exceeds {self.limit} bytes.")
            if self.scan_for_nul:
                window = self.tail + chunk
                if any(marker in window for marker in NUL_MARKERS):
                    self._refuse(422, NUL_REFUSED)
                self.tail = window[-6:]
            elif self.multipart is not None:
                try:
                    self.multipart.feed(chunk)
                except MultipartRefused as refused:
                    self._refuse(refused.status, refused.detail)
        return message

    def _refuse(self, status: int, detail: str) -> None:
        self.refused = InputRefused(status, detail)
        raise self.refused


def refusal_before_reading(scope: Scope, headers: dict[bytes, bytes], limit: int) -> InputRefused | None:
    declared = headers.get(b"content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return InputRefused(413, f"The request body exceeds {limit} bytes.")
    if b"%00" in scope.get("query_string", b"") or "\x00" in scope.get("path", ""):
        return InputRefused(422, NUL_REFUSED)
    return None


def body_guard(receive: Receive, content_type: bytes, *, limit: int) -> BodyGuard:
    media_type = content_type.lstrip().lower()
    if media_type.startswith(MULTIPART_BODY_TYPE):
        boundary = boundary_of(content_type)  # case matters in a boundary
        # Without a boundary the form parser refuses the body itself, before reading any field.
        scanner = MultipartNulScanner(boundary) if boundary else None
        return BodyGuard(receive, limit=limit, scan_for_nul=False, multipart=scanner)
    return BodyGuard(receive, limit=limit, scan_for_nul=not media_type.startswith(FILE_BODY_TYPE))


class RequestMiddleware:
    def __init__(
        self, app: ASGIApp, *, metrics: Metrics, max_body_bytes: int, body_limits: Mapping[str, int] | None = None
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes
        self.body_limits = dict(body_limits or {})  # by exact path: upload routes (ComponentSettings.body_limits)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        request_id = headers.get(REQUEST_ID, b"").decode("latin-1")[:200] or uuid.uuid4().hex
        request_id_var.set(request_id)
        client_var.set(None)
        started = time.perf_counter()
        limit = self.body_limits.get(scope.get("path", ""), self.max_body_bytes)
        early = refusal_before_reading(scope, headers, limit)
        if early is not None:
            await self._refuse(send, request_id, early)
            self._observe(scope, early.status, started)
            return
        guard = body_guard(receive, headers.get(b"content-type", b""), limit=limit)
        state = {"status": 500, "answered": False}

        async def send_with_id(message: Message) -> None:
            # A refused body may surface in the app as its own error (FastAPI answers 400 to a body
            # it could not read): whatever the app then sends is replaced by the refusal.
            if guard.refused is not None:
                if not state["answered"]:
                    await self._refuse(send, request_id, guard.refused)
                    state.update(status=guard.refused.status, answered=True)
                return
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
                message["headers"] = [*message.get("headers", []), (REQUEST_ID, request_id.encode("latin-1"))]
            await send(message)

        try:
            await self.app(scope, guard, send_with_id)
        except InputRefused as refused:
            if not state["answered"]:
                await self._refuse(send, request_id, refused)
                state["status"] = refused.status
        finally:
            self._observe(scope, int(state["status"]), started)

    async def _refuse(self, send: Send, request_id: str, refused: InputRefused) -> None:
        body = json.dumps(problem_body(refused.status, refused.detail)).encode()
        await send(
            {
                "type": "http.response.start",
                "status": refused.status,
                "headers": [
                    (b"content-type", b"application/problem+json"),
                    (b"content-length", str(len(body)).encode()),
                    (REQUEST_ID, request_id.encode("latin-1")),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    def _observe(self, scope: Scope, status: int, started: float) -> None:
        route = scope.get("route")
        template = getattr(route, "path", None) or "unmatched"
        method = scope.get("method", "")
        elapsed = time.perf_counter() - started
        self.metrics.requests.labels(template, method, str(status)).inc()
        self.metrics.latency.labels(template, method).observe(elapsed)
        # The request log: request id and client come from the context (see logs.py).
        log.info(
            "%s %s %s",
            method,
            scope.get("path", ""),
            status,
            extra={"route": template, "status": status, "duration_ms": round(elapsed * 1000, 2)},
        )
