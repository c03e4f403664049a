"""Where requests go: a service over HTTP (distributed mode) or an ASGI app in this process (embedded).

Both stream in both directions: the caller's body flows to the service as it arrives, and the
service's response flows back chunk by chunk, so uploads are never held whole and event streams
arrive as they are produced.
"""

import asyncio
import logging
import time
from collections.abc import Mapping

import aiohttp
from multidict import CIMultiDict
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from yarl import URL

from gateway.asgi import RequestBody, call_asgi, wait_for_disconnect
from gateway.forwarding import Forward, UpstreamTimeout, UpstreamUnavailable, response_headers

log = logging.getLogger(__name__)

# Responses up to this size are read whole and sent in one piece: one ASGI message instead of
# several, and a timeout while reading them still becomes a clean 504.
_SMALL_BODY = 64 * 1024


class HttpUpstream:
    def __init__(self, name: str, base_url: str) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self._session: aiohttp.ClientSession | None = None

    def bind(self, session: aiohttp.ClientSession) -> None:
        """The one shared client session, made in the lifespan once an event loop runs."""
        self._session = session

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("the gateway's lifespan has not started")
        return self._session

    async def forward(self, request: Forward, scope: Scope, receive: Receive, send: Send) -> int:
        query = scope["query_string"]
        target = scope.get("raw_path") or scope["path"].encode()
        if query:
            target = target + b"?" + query
        url = URL(self.base_url + target.decode("latin-1"), encoded=True)
        body = RequestBody(receive) if request.has_body else None
        headers = CIMultiDict([(name.decode("latin-1"), value.decode("latin-1")) for name, value in request.headers])
        try:
            response = await self.session.request(
                scope["method"], url, headers=headers, data=body, allow_redirects=False
            )
        except TimeoutError as exc:
            raise UpstreamTimeout(f"The {self.name} service did not answer in time.") from exc
        except aiohttp.ClientError as exc:
            raise UpstreamUnavailable(f"The {self.name} service is unreachable.") from exc
        try:
            await self._relay(response, request, receive, send, listen=body is None or body.complete)
        finally:
            response.release()
        return response.status

    async def _relay(
        self, response: aiohttp.ClientResponse, request: Forward, receive: Receive, send: Send, *, listen: bool
    ) -> None:
        length = response.content_length
        if length is not None and length <= _SMALL_BODY:
            try:
                content = await response.read()
            except TimeoutError as exc:
                raise UpstreamTimeout(f"The {self.name} service did not answer in time.") from exc
            except aiohttp.ClientError as exc:
                raise UpstreamUnavailable(f"The {self.name} service broke off its response.") from exc
            headers = response_headers(response.raw_headers, request.request_id)
            request.responded_at = time.perf_counter()
            await send({"type": "http.response.start", "status": response.status, "headers": headers})
            await send({"type": "http.response.body", "body": content})
            return
        headers = response_headers(response.raw_headers, request.request_id)
        request.responded_at = time.perf_counter()
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        if listen:
            await _stream_until_gone(response, receive, send)
        else:
            # The body is still being read by the upload: nobody else may call receive().
            await _pump(response, send)

    async def get(self, path: str) -> tuple[int, bytes]:
        async with self.session.get(self.base_url + path, allow_redirects=False) as response:
            return response.status, await response.read()


async def _pump(response: aiohttp.ClientResponse, send: Send) -> None:
    async for chunk in response.content.iter_any():
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _stream_until_gone(response: aiohttp.ClientResponse, receive: Receive, send: Send) -> None:
    """Stream the body, but stop as soon as the caller disconnects: an event stream has no end of
    its own, and the server's send() quietly drops what nobody reads any more."""
    pump = asyncio.ensure_future(_pump(response, send))
    gone = asyncio.ensure_future(wait_for_disconnect(receive))
    try:
        await asyncio.wait((pump, gone), return_when=asyncio.FIRST_COMPLETED)
    finally:
        gone.cancel()
        if not pump.done():
            pump.cancel()
            response.close()  # the rest of this response is unwanted: drop the connection
    if not pump.cancelled():
        pump.result()


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


def build_upstreams(targets: Mapping[str, "str | ASGIApp"]) -> dict[str, HttpUpstream | AsgiUpstream]:
    return {
        name: HttpUpstream(name, target) if isinstance(target, str) else AsgiUpstream(name, target)
        for name, target in targets.items()
    }
