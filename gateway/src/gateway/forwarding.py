"""What the proxy and the upstreams agree on: the request to forward, how forwarding fails, and which
response headers travel back."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from starlette.types import Receive, Scope, Send

from gateway.asgi import Headers

# Meaningful for one connection only (RFC 9110 §7.6.1), so never passed on in either direction.
HOP_BY_HOP = frozenset(
    {b"connection", b"keep-alive", b"transfer-encoding", b"te", b"trailer", b"upgrade", b"proxy-connection"}
)
# The gateway's own server adds these; the upstream's copies would be duplicates.
RESPONSE_DROP = HOP_BY_HOP | {b"date", b"server"}


class UpstreamError(Exception):
    """Forwarding failed before anything was sent to the caller: the proxy answers with a problem."""

    status = 502
    headers: tuple[tuple[bytes, bytes], ...] = ()


class UpstreamUnavailable(UpstreamError):
    status = 502


class UpstreamTimeout(UpstreamError):
    status = 504


class UpstreamBusy(UpstreamError):
    """Every connection the gateway may open to the service stayed busy: the gateway's own limit, not
    a failure of the service, hence 503 and a hint to try again rather than a 504."""

    status = 503
    headers = ((b"retry-after", b"1"),)


class BadRequestBody(UpstreamError):
    """The caller's body did not match its own framing (more or fewer bytes than its Content-Length,
    or the caller left halfway); the service got an incomplete request and is not asked to answer."""

    status = 400


@dataclass(slots=True)
class Forward:
    """A request the proxy has authorised, with the headers the service is to see."""

    headers: Headers
    request_id: bytes
    has_body: bool
    target: bytes  # the raw path and query as the caller sent them, and as the signature covers them
    responded_at: float = 0.0  # perf_counter() when the response started, for the latency metric


class Upstream(Protocol):
    name: str

    async def forward(self, request: Forward, scope: Scope, receive: Receive, send: Send) -> int:
        """Relay the request and stream the response back; returns its status. Raises UpstreamError
        only while nothing has been sent to the caller yet."""
        ...

    async def get(self, path: str) -> tuple[int, bytes]:
        """A small GET outside the proxy path (health, OpenAPI); callers bound it in time."""
        ...


def response_headers(raw: Iterable[tuple[bytes, bytes]], request_id: bytes) -> Headers:
    """The service's response headers as the caller is to see them, lower-cased as ASGI wants."""
    headers: Headers = []
    has_request_id = False
    for name, value in raw:
        lower = name.lower()
        if lower in RESPONSE_DROP or lower.startswith(b"proxy-"):
            continue
        has_request_id = has_request_id or lower == b"x-request-id"
        headers.append((lower, value))
    if not has_request_id:
        headers.append((b"x-request-id", request_id))
    return headers
