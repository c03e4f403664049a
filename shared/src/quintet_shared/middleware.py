"""The request middleware of every service: request id, metrics, body size limit.

A plain ASGI middleware rather than Starlette's BaseHTTPMiddleware, which would buffer streamed
bodies and cost a task per request.
"""

import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from quintet_shared.errors import problem_body
from quintet_shared.logs import client_var, request_id_var
from quintet_shared.metrics import Metrics

REQUEST_ID = b"x-request-id"


class BodyTooLarge(Exception):
    pass


class RequestMiddleware:
    def __init__(self, app: ASGIApp, *, metrics: Metrics, max_body_bytes: int) -> None:
        self.app = app
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        request_id = headers.get(REQUEST_ID, b"").decode("latin-1")[:200] or uuid.uuid4().hex
        request_id_var.set(request_id)
        client_var.set(None)
        started = time.perf_counter()
        status = {"code": 500}
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            await self._reject_too_large(send, request_id)
            self._observe(scope, 413, started)
            return
        received = 0
        limit = self.max_body_bytes

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge()
            return message

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message["headers"] = [*message.get("headers", []), (REQUEST_ID, request_id.encode("latin-1"))]
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_id)
        except BodyTooLarge:
            await self._reject_too_large(send, request_id)
            status["code"] = 413
        finally:
            self._observe(scope, status["code"], started)

    async def _reject_too_large(self, send: Send, request_id: str) -> None:
        import json

        body = json.dumps(problem_body(413, f"The request body exceeds {self.max_body_bytes} bytes.")).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/problem+json"),
                    (b"content-length", str(len(body)).encode()),
                    (REQUEST_ID, request_id.encode("latin-1")),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    def _observe(self, scope: dict[str, Any], status: int, started: float) -> None:
        route = scope.get("route")
        template = getattr(route, "path", None) or "unmatched"
        method = scope.get("method", "")
        self.metrics.requests.labels(template, method, str(status)).inc()
        self.metrics.latency.labels(template, method).observe(time.perf_counter() - started)
