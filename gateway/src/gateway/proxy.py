"""The request path: app id → client → service grant → rate limit → signed request to the service.

Without an app id header, the browser sign-in cookie stands for its client (gateway.session_auth),
and a state-changing request needs the session's CSRF token too. With both, the header decides; a
cookie that is genuine but of another client is refused (400) rather than one of them guessed.

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

from gateway.asgi import Headers, send_problem, send_redirect
from gateway.clientcache import ClientCache, ClientGrant
from gateway.config import DEFAULT_PUBLIC_RATE_LIMIT_PER_MINUTE
from gateway.forwarding import HOP_BY_HOP, Forward, Upstream, UpstreamError
from gateway.metrics import ProxyMetrics
from gateway.public_paths import PublicPaths
from gateway.ratelimit import RateLimiter, retry_after
from gateway.session_auth import INVALID_SESSION, MISSING_CSRF, SessionAuth, is_page_visit, sign_in_location
from gateway.sessions import CookieHeader
from quintet_shared.busy import RETRY_AFTER_SECONDS
from quintet_shared.logs import client_var, request_id_var
from quintet_shared.signing import raw_target, signature

log = logging.getLogger(__name__)

MISSING_APP_ID = "App-Id header is missing!"
INVALID_APP_ID = "Not a valid Client App-Id"
AMBIGUOUS_APP_ID = "Send the app id once: two X-App-Id (or App-Id) headers, or an X-App-Id and an App-Id that differ."
AMBIGUOUS_SESSION = "Send one sign-in session: the request carries two different session cookies."
CONFLICTING_SESSION = "The app id header and the sign-in cookie are of different clients; send one of them."
MAX_REQUEST_ID = 200
PUBLIC_CLIENT = "-"  # the client code of a request on a public path (quintet_shared.context)

# Headers the caller may not send on: the gateway's own (a caller must not vouch for itself), the
# secret app id (services never need it), and those meaningful for one connection only.
_DROP = HOP_BY_HOP | {b"x-client-code", b"x-app-id", b"app-id", b"x-request-id", b"expect", b"x-csrf-token"}


class IncomingRequest:
    """What the proxy needs from the caller's headers, read in one pass."""

    __slots__ = ("app_id", "app_id_ambiguous", "cookies", "csrf_token", "forward", "has_body", "request_id")

    def __init__(self, raw: Headers) -> None:
        self.app_id: bytes | None = None
        self.app_id_ambiguous = False
        app_id_name = b""
        self.request_id: bytes | None = None
        self.has_body = False
        self.forward: Headers = []
        self.cookies: CookieHeader | None = None  # only when the gateway's own cookies are among them
        self.csrf_token: bytes | None = None
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
                elif name == b"x-csrf-token":
                    self.csrf_token = value
                continue
            if name == b"cookie" and b"quintet_" in value:
                if self.cookies is None:
                    self.cookies = CookieHeader()
                self.cookies.add(value)
                continue
            if name == b"content-length":
                self.has_body = self.has_body or value != b"0"
            self.forward.append((name, value))
        if chunked:
            # A body framed both ways is how requests get smuggled: the server de-chunks it, so
            # the declared length cannot be trusted and must not reach the service.
            self.forward = [(name, value) for name, value in self.forward if name != b"content-length"]
        if self.cookies is not None:
            # The service gets the caller's other cookies, never the gateway's (its credentials).
            others = self.cookies.forwarded()
            if others is not None:
                self.forward.append((b"cookie", others))


PUBLIC_GRANT = ClientGrant(code=PUBLIC_CLIENT, services=frozenset(), rate_limit_per_minute=0, active=True)


class Denial(NamedTuple):
    status: int
    detail: str
    headers: tuple[tuple[bytes, bytes], ...] = ()


def _registry_unavailable() -> Denial:
    retry = ((b"retry-after", str(RETRY_AFTER_SECONDS).encode()),)
    return Denial(503, "The client registry is unavailable; try again shortly.", retry)


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
        sessions: SessionAuth | None = None,
    ) -> None:
        self._secret = secret
        self._upstreams = upstreams
        self._clients = clients
        self._limiter = limiter
        self._metrics = metrics
        self._public_paths = PublicPaths(upstreams)
        self._public_rate = public_rate_limit_per_minute
        self._public_limiter = public_limiter or RateLimiter()
        self._sessions = sessions

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
            verdict, receive = await self._authorise(incoming, service, scope, receive)
        if isinstance(verdict, Denial):
            status = verdict.status
            if status == 401 and self._sessions is not None and is_page_visit(scope):
                # A person's browser opening a page: sent to sign in, and back here afterwards.
                status = 303
                await send_redirect(send, sign_in_location(scope), request_id=request_id_text)
            else:
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

    async def _authorise(
        self, incoming: IncomingRequest, service: str, scope: Scope, receive: Receive
    ) -> tuple[ClientGrant | Denial, Receive]:
        """Who the caller is and whether it may go on; the receive to read its body from."""
        if incoming.app_id_ambiguous:
            return Denial(400, AMBIGUOUS_APP_ID), receive
        cookies = incoming.cookies if self._sessions is not None else None
        if cookies is not None and cookies.ambiguous:
            return Denial(400, AMBIGUOUS_SESSION), receive
        session_cookie = cookies.session if cookies is not None else None
        if incoming.app_id:
            verdict = await self._by_app_id(incoming.app_id)
            if isinstance(verdict, ClientGrant) and session_cookie is not None:
                verdict = self._same_client(verdict, session_cookie)
        elif session_cookie is not None:
            verdict, receive = await self._by_session(session_cookie, incoming, scope, receive)
        else:
            return Denial(401, MISSING_APP_ID), receive
        if isinstance(verdict, Denial):
            return verdict, receive
        return self._admit(verdict, service), receive

    async def _by_app_id(self, app_id: bytes) -> ClientGrant | Denial:
        try:
            client = await self._clients.get(hashlib.sha256(app_id).hexdigest())
        except Exception:
            log.exception("client lookup failed")
            return _registry_unavailable()
        if client is None or not client.active:
            return Denial(401, INVALID_APP_ID)
        return client

    def _same_client(self, client: ClientGrant, session_cookie: str) -> ClientGrant | Denial:
        assert self._sessions is not None
        session = self._sessions.read(session_cookie)
        # A stale or foreign cookie beside a valid header is ignored; a live one of another client
        # means the caller is confused about who it is.
        if session is not None and session.client != client.code:
            return Denial(400, CONFLICTING_SESSION)
        return client

    async def _by_session(
        self, session_cookie: str, incoming: IncomingRequest, scope: Scope, receive: Receive
    ) -> tuple[ClientGrant | Denial, Receive]:
        sessions = self._sessions
        assert sessions is not None
        session = sessions.read(session_cookie)
        if session is None:
            return Denial(401, INVALID_SESSION), receive
        try:
            client = await sessions.client(session)
        except Exception:
            log.exception("client lookup failed")
            return _registry_unavailable(), receive
        if client is None:
            return Denial(401, INVALID_SESSION), receive
        checked = await sessions.csrf_checked(session, scope, receive, incoming.csrf_token)
        if checked is None:
            return Denial(403, MISSING_CSRF), receive
        return client, checked

    def _admit(self, client: ClientGrant, service: str) -> ClientGrant | Denial:
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
