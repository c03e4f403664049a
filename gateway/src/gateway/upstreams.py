"""Where requests go: a service over HTTP (distributed mode) or an ASGI app in this process (embedded).

Both stream in both directions: the caller's body flows to the service as it arrives, and the
service's response flows back chunk by chunk, so uploads are never held whole and event streams
arrive as they are produced. The HTTP side lives in http_upstream.py.
"""

import logging
import time
from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.asgi import call_asgi
from gateway.forwarding import Forward, UpstreamUnavailable, response_headers
from gateway.http_upstream import HttpUpstream
from gateway.upstream_pool import PoolLimits

log = logging.getLogger(__name__)


class AsgiUpstream:
    """An app in this process: called directly with a copy of the scope carrying the added headers.
    The caller's receive is handed through, so bodies stream exactly as over HTTP."""

    def __init__(self, name: str, app: ASGIApp) -> None:
        self.name = name
        self.app = app

    async def forward(self, request: Forward, scope: Scope, receive: Receive, send: Send) -> int:
        child = dict(scope)
        child["headers"] = request.headers
        status = 0

        async def relay(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                request.responded_at = time.perf_counter()
                message = {**message, "headers": response_headers(message.get("headers") or (), request.request_id)}
            await send(message)

        try:
            await self.app(child, receive, relay)
        except Exception as exc:
            if status:
                raise
            log.exception("embedded service %s failed before answering", self.name)
            raise UpstreamUnavailable(f"The {self.name} service failed.") from exc
        if not status:
            raise UpstreamUnavailable(f"The {self.name} service sent no response.")
        return status

    async def get(self, path: str) -> tuple[int, bytes]:
        return await call_asgi(self.app, "GET", path)


def build_upstreams(
    targets: Mapping[str, "str | ASGIApp"], limits: PoolLimits
) -> dict[str, HttpUpstream | AsgiUpstream]:
    return {
        name: HttpUpstream(name, target, limits) if isinstance(target, str) else AsgiUpstream(name, target)
        for name, target in targets.items()
    }
