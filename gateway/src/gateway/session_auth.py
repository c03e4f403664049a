"""A proxied request signed in by the session cookie instead of an app id header.

The cookie counts as its client while it is genuine, unexpired, its client still exists and is
active, and the client's app id is the one it signed in with. A state-changing request (anything but
GET, HEAD, OPTIONS) so signed in must also carry the page's CSRF token: a browser sends the cookie
with any request to the gateway, a script of the gateway's own pages alone can read the token. The
token comes in the `X-CSRF-Token` header or, for an HTML form, in its `csrf_token` field
(urlencoded bodies up to FORM_LIMIT only: the body is read here, then handed on unchanged).
"""

import time
from collections.abc import Callable
from urllib.parse import parse_qs, quote

from starlette.types import Message, Receive, Scope

from gateway.clientcache import ClientCache, ClientGrant
from gateway.sessions import Session, SessionCodec
from quintet_shared.signing import signed_target

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FORM_TYPE = b"application/x-www-form-urlencoded"
FORM_LIMIT = 64 * 1024
CSRF_FIELD = "csrf_token"

INVALID_SESSION = "The sign-in session is invalid or has expired; sign in again at /login."
MISSING_CSRF = (
    "A state-changing request signed in by cookie needs the page's CSRF token "
    "(the X-CSRF-Token header, or the csrf_token field of a form)."
)


class SessionAuth:
    def __init__(self, codec: SessionCodec, clients: ClientCache, *, clock: Callable[[], float] = time.time) -> None:
        self.codec = codec
        self.clients = clients  # by client code
        self._clock = clock

    def now(self) -> float:
        return self._clock()

    def read(self, value: str) -> Session | None:
        return self.codec.read(value, now=self._clock())

    async def client(self, session: Session) -> ClientGrant | None:
        """The session's client, or None when it no longer may use this session."""
        client = await self.clients.get(session.client)
        if client is None or not client.active or self.codec.binding(client.app_id_hash) != session.binding:
            return None
        return client

    async def csrf_checked(
        self, session: Session, scope: Scope, receive: Receive, header_token: bytes | None
    ) -> Receive | None:
        """None when a state-changing request lacks the session's token; else the receive to read
        its body from (a form's body, read here, is replayed from memory)."""
        if scope["method"] in SAFE_METHODS or self.codec.csrf_matches(session, header_token):
            return receive
        if _content_type(scope) != FORM_TYPE:
            return None
        body = await _read_body(receive, FORM_LIMIT)
        if body is None:
            return None
        try:
            fields = parse_qs(body.decode("utf-8"), max_num_fields=1000)
        except (UnicodeDecodeError, ValueError):
            return None
        tokens = fields.get(CSRF_FIELD, [])
        if len(tokens) != 1 or not self.codec.csrf_matches(session, tokens[0]):
            return None
        return _replay(body, receive)


def is_page_visit(scope: Scope) -> bool:
    """A browser loading a page (a top-level navigation, by its Fetch Metadata), not a script or an
    API client: only such a request is sent to sign in rather than answered 401."""
    if scope["method"] != "GET":
        return False
    mode = dest = b""
    for name, value in scope["headers"]:
        if name == b"sec-fetch-mode":
            mode = value
        elif name == b"sec-fetch-dest":
            dest = value
    return mode == b"navigate" and dest == b"document"


def sign_in_location(scope: Scope) -> str:
    """The sign-in page, told to come back to this request's own path afterwards."""
    return "/login?next=" + quote(signed_target(scope), safe="")


def _content_type(scope: Scope) -> bytes:
    for name, value in scope["headers"]:
        if name == b"content-type":
            return value.partition(b";")[0].strip().lower()
    return b""


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole body, or None when it is larger than `limit` or the caller left."""
    parts: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        parts.append(chunk)
        more = message.get("more_body", False)
    return b"".join(parts)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # after the body: the caller's disconnect, as usual

    return replay
