"""Browser sign-in sessions: a signed cookie that stands for a client, and the CSRF token bound to it.

The cookie is stateless: `v1.<session id>.<client code>.<binding>.<expires>.<mac>`, where the mac is
an HMAC-SHA256 over everything before it with a key derived from GATEWAY_SESSION_SECRET. The server
checks the expiry itself (a browser that keeps the cookie longer gains nothing). The binding is an
HMAC of the client's app id hash at sign-in: rotating the app id ends the client's sessions, and so
does disabling or deleting the client (checked on every request against the registry), without a
session table. The CSRF token is an HMAC of the session id, so it is only good with its own session.
"""

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

SESSION_COOKIE = "quintet_session"
CSRF_COOKIE = "quintet_csrf"  # readable by the page's script, which sends it back as X-CSRF-Token
_VERSION = "v1"
_MAX_TOKEN = 512  # far above a real one (about 160 bytes): anything longer is not looked at
_CODE = re.compile(r"[a-z0-9][a-z0-9_-]{1,63}")
_ID = re.compile(r"[A-Za-z0-9_-]{22}")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass(frozen=True, slots=True)
class Session:
    session_id: str
    client: str
    binding: str
    expires_at: int  # Unix seconds


class SessionCodec:
    """Issues and reads session cookies; one instance per secret."""

    def __init__(self, secret: str, *, max_age_seconds: int) -> None:
        self.max_age_seconds = max_age_seconds
        # One key per use, so that no value signed for one purpose is ever valid for another.
        self._mac_key = self._derive(secret, b"session-cookie")
        self._binding_key = self._derive(secret, b"session-binding")
        self._csrf_key = self._derive(secret, b"session-csrf")

    @staticmethod
    def _derive(secret: str, purpose: bytes) -> bytes:
        return hmac.new(secret.encode(), b"quintet-gateway/" + purpose, hashlib.sha256).digest()

    def binding(self, app_id_hash: str) -> str:
        """Ties a session to the app id in force when it began."""
        return _b64(hmac.new(self._binding_key, app_id_hash.encode(), hashlib.sha256).digest()[:16])

    def issue(self, *, client: str, app_id_hash: str, now: float) -> tuple[str, Session]:
        """A new session for `client`: its cookie value and what the cookie says."""
        session = Session(
            session_id=_b64(secrets.token_bytes(16)),
            client=client,
            binding=self.binding(app_id_hash),
            expires_at=int(now) + self.max_age_seconds,
        )
        unsigned = f"{_VERSION}.{session.session_id}.{client}.{session.binding}.{session.expires_at}"
        return f"{unsigned}.{self._mac(unsigned)}", session

    def read(self, value: str, *, now: float) -> Session | None:
        """The session a cookie value stands for, or None when it is malformed, forged or expired."""
        if len(value) > _MAX_TOKEN:
            return None
        unsigned, _, mac = value.rpartition(".")
        if not hmac.compare_digest(mac.encode(), self._mac(unsigned).encode()):
            return None
        parts = unsigned.split(".")
        if len(parts) != 5 or parts[0] != _VERSION:
            return None
        _version, session_id, client, binding, expires = parts
        if not (_ID.fullmatch(session_id) and _CODE.fullmatch(client) and _ID.fullmatch(binding)):
            return None
        if not expires.isdigit() or int(expires) <= now:
            return None
        return Session(session_id=session_id, client=client, binding=binding, expires_at=int(expires))

    def csrf_token(self, session: Session) -> str:
        return _b64(hmac.new(self._csrf_key, session.session_id.encode(), hashlib.sha256).digest())

    def csrf_matches(self, session: Session, given: str | bytes | None) -> bool:
        if not given:
            return False
        expected = self.csrf_token(session).encode()
        return hmac.compare_digest(expected, given.encode("latin-1") if isinstance(given, str) else given)

    def _mac(self, unsigned: str) -> str:
        return _b64(hmac.new(self._mac_key, unsigned.encode(), hashlib.sha256).digest())


def session_cookies(value: str, csrf: str, *, max_age: int, secure: bool) -> list[str]:
    """Set-Cookie values for a new session: the session itself (script cannot read it) and its
    CSRF token (the page's script reads it). SameSite=Strict: no other site's page sends them."""
    flags = f"Path=/; Max-Age={max_age}; SameSite=Strict" + ("; Secure" if secure else "")
    return [f"{SESSION_COOKIE}={value}; {flags}; HttpOnly", f"{CSRF_COOKIE}={csrf}; {flags}"]


def cleared_cookies(*, secure: bool) -> list[str]:
    flags = "Path=/; Max-Age=0; SameSite=Strict" + ("; Secure" if secure else "")
    return [f"{SESSION_COOKIE}=; {flags}; HttpOnly", f"{CSRF_COOKIE}=; {flags}"]


class CookieHeader:
    """A request's Cookie header split into the gateway's session cookie and everything else, which
    goes on to the service (the gateway's cookies never do: they are its credentials)."""

    __slots__ = ("ambiguous", "others", "session")

    def __init__(self) -> None:
        self.session: str | None = None
        self.ambiguous = False
        self.others: list[bytes] = []

    def add(self, value: bytes) -> None:
        for pair in value.split(b";"):
            pair = pair.strip()
            name, _, cookie = pair.partition(b"=")
            if name == b"quintet_session":
                text = cookie.decode("latin-1")
                if self.session is not None and self.session != text:
                    self.ambiguous = True  # two sessions (another path, a sibling domain): guess neither
                self.session = text
            elif name != b"quintet_csrf" and pair:
                self.others.append(pair)

    def forwarded(self) -> bytes | None:
        return b"; ".join(self.others) if self.others else None
