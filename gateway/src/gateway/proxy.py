"""The request path: app id → client → service grant → rate limit → signed request to the service.

A public path (`/<service>/public/...`, ARCHITECTURE.md §11) skips the first three: it goes on as
client `-`, limited per remote address, whatever app id it carries (gateway.public_paths).

Plain ASGI with no framework router: a router on this path costs about half the throughput
(MEASURED.md). Everything here runs for every proxied request, so it stays allocation-light.
"""

import hashlib
import logging
import time
from collections.abc import Mapping
from random import getrandbits
from typing import NamedTuple

from starlette.types import Receive, Scope, Send

from gateway.asgi import Headers, send_problem
from gateway.clientcache import ClientCache, ClientGrant
from gateway.config import DEFAULT_PUBLIC_RATE_LIMIT_PER_MINUTE
from gateway.forwarding import HOP_BY_HOP, Forward, Upstream, UpstreamError
from gateway.metrics import ProxyMetrics
from gateway.public_paths import PublicPaths
from gateway.ratelimit import RateLimiter, retry_after
from quintet_shared.busy import RETRY_AFTER_SECONDS
from quintet_shared.logs import client_var, request_id_var
from quintet_shared.signing import raw_target, signature

log = logging.getLogger(__name__)

MISSING_APP_ID = "App-Id header is missing!"
INVALID_APP_ID = "Not a valid Client App-Id"
AMBIGUOUS_APP_ID = "Send the app id once: two X-App-Id (or App-Id) headers, or an X-App-Id and an App-Id that differ."
MAX_REQUEST_ID = 200
PUBLIC_CLIENT = "-"  # the client code of a request on a public path (quintet_shared.context)

# Headers the caller may not send on: the gateway's own (a caller must not vouch for itself), the
# secret app id (services never need it), and those meaningful for one connection only.
_DROP = HOP_BY_HOP | {b"x-client-code", b"x-app-id", b"app-id", b"x-request-id", b"expect"}


class IncomingRequest:
    """What the proxy needs from the caller's headers, read in one pass."""

    __slots__ = ("app_id", "app_id_ambiguous", "forward", "has_body", "request_id")

    def __init__(self, raw: Headers) -> None:
        self.app_id: bytes | None = None
        self.app_id_ambiguous = False
        app_id_name = b""
        self.request_id: bytes | None = None
        self.has_body = False
        self.forward: Headers = []
        chunked = False
        for name, value in raw:
            if name in _DROP or name.startswith(b"x-gateway-") or name.startswith(b"proxy-"):
                if name == b"x-app-id" or name == b"app-id":
                    # Which of two ids counts is not the gateway's to guess: the caller is told.
                    if self.app_id is None:
                        self.app_id, app_id_name = value, name
                    elif name == app_id_name or value != self.app_id:
                        self.app_id_ambiguous = True
                elif name == b"x-request-id":
                    self.request_id = value[:MAX_REQUEST_ID]
                elif name == b"transfer-encoding":
                    self.has_body = chunked = True
                continue
            if name == b"content-length":
                self.has_body = self.has_body or value != b"0"
            self.forward.append((name, value))
        if chunked:
            # A body framed both ways is how requests get smuggled: the server de-chunks it, so
            # the declared length cannot be trusted and must not reach the service.
            self.forward = [(name, value) for name, value in self.forward if name != b"content-length"]


PUBLIC_GRANT = ClientGrant(code=PUBLIC_CLIENT, services=frozenset(), rate_limit_per_minute=0, active=True)


class Denial(NamedTuple):
    status: int
    detail: str
    headers: tuple[tuple[bytes, bytes], ...] = ()


def new_request_id() -> bytes:
    # Unique rather than secret (a caller may bring its own): the seeded generator spares the system
    # call os.urandom makes, measured at ~3 % of the gateway's CPU when called on every request.
    return b"%032x" % getrandbits(128)


class Proxy:
    def __init__(
        self,
        *,
        secret: str,
        upstreams: Mapping[str, Upstream],
        clients: ClientCache,
        limiter: RateLimiter,
        metrics: ProxyMetrics,
        public_rate_limit_per_minute: int = DEFAULT_PUBLIC_RATE_LIMIT_PER_MINUTE,
        public_limiter: RateLimiter | None = None,
    ) -> None:
        self._secret = secret
        self._upstreams = upstreams
        self._clients = clients
        self._limiter = limiter
        self._metrics = metrics
        self._public_paths = PublicPaths(upstreams)
        self._public_rate = public_rate_limit_per_minute
        self._public_limiter = public_limiter or RateLimiter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send, service: str) -> None:
        started = time.perf_counter()
        incoming = IncomingRequest(scope["headers"])
        request_id = incoming.request_id or new_request_id()
        request_id_text = request_id.decode("latin-1")
        request_id_var.set(request_id_text)
        client_var.set(None)
        if self._public_paths(scope, service):
            verdict = self._admit_public(scope)
        else:
            verdict = await self._authorise(incoming, service)
        if isinstance(verdict, Denial):
            status = verdict.status
            await send_problem(send, status, verdict.detail, request_id=request_id_text, headers=verdict.headers)
            self._metrics.observe(service, status, time.perf_counter() - started)
            return
        target = raw_target(scope)
        forward = Forward(
            headers=[*incoming.forward, *self._added_headers(scope, target, verdict.code, request_id_text)],
            request_id=request_id,
            has_body=incoming.has_body,
            target=target,
        )
        try:
            status = await self._upstreams[service].forward(forward, scope, receive, send)
        except UpstreamError as exc:
            log.warning("%s (%s)", exc, exc.__cause__.__class__.__name__ if exc.__cause__ else "no cause")
            status = exc.status
            await send_problem(send, status, str(exc), request_id=request_id_text, headers=exc.headers)
        self._metrics.observe(service, status, (forward.responded_at or time.perf_counter()) - started)

    async def _authorise(self, incoming: IncomingRequest, service: str) -> ClientGrant | Denial:
        if incoming.app_id_ambiguous:
            return Denial(400, AMBIGUOUS_APP_ID)
        if not incoming.app_id:
            return Denial(401, MISSING_APP_ID)
        try:
            client = await self._clients.get(hashlib.sha256(incoming.app_id).hexdigest())
        except Exception:
            log.exception("client lookup failed")
            retry = ((b"retry-after", str(RETRY_AFTER_SECONDS).encode()),)
            return Denial(503, "The client registry is unavailable; try again shortly.", retry)
        if client is None or not client.active:
            return Denial(401, INVALID_APP_ID)
        client_var.set(client.code)
        if service not in client.services:
            return Denial(403, f"Client {client.code!r} may not use the {service} service.")
        wait = self._limiter.acquire(client.code, client.rate_limit_per_minute)
        if wait:
            detail = f"Rate limit of {client.rate_limit_per_minute} requests per minute exceeded."
            return Denial(429, detail, ((b"retry-after", str(retry_after(wait)).encode()),))
        return client

    def _admit_public(self, scope: Scope) -> ClientGrant | Denial:
        client_var.set(PUBLIC_CLIENT)
        remote = scope.get("client")
        address = remote[0] if remote else "unknown"
        wait = self._public_limiter.acquire(address, self._public_rate)
        if wait:
            detail = f"Rate limit of {self._public_rate} requests per minute per address exceeded on public paths."
            return Denial(429, detail, ((b"retry-after", str(retry_after(wait)).encode()),))
        return PUBLIC_GRANT

    def _added_headers(self, scope: Scope, target: bytes, client_code: str, request_id: str) -> Headers:
        """Who the caller is, vouched for by a signature over the request (ARCHITECTURE.md §4).
        `target` is sent on unchanged (both upstream kinds), so the service sees what was signed."""
        timestamp = int(time.time())
        signed = signature(
            self._secret,
            timestamp=timestamp,
            method=scope["method"],
            target=target.decode("latin-1"),
            client_code=client_code,
            request_id=request_id,
        )
        return [
            (b"x-client-code", client_code.encode()),
            (b"x-request-id", request_id.encode("latin-1")),
            (b"x-gateway-timestamp", str(timestamp).encode()),
            (b"x-gateway-signature", signed.encode()),
        ]
