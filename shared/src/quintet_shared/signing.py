"""The gateway's request signature (ARCHITECTURE.md §4), made by the gateway, checked by services.

Both sides sign the request target in one canonical form, `signed_target`: the path exactly as it
travels in the request line (percent-escapes kept), then `?` and the raw query when there is one.
A form rebuilt from the decoded path differs between the two whenever an identifier holds `#`,
`?`, `\\`, a tab, CR or LF: a URL parser reads them as delimiters or drops them.
"""

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

# Where a server gives no raw path, the decoded one is escaped again: everything but the unreserved
# characters and `/`, so that any two such servers agree on the same bytes.
_PATH_SAFE = "/"


def raw_target(scope: Mapping[str, Any]) -> bytes:
    """The request target as sent: raw path, then `?` and the raw query when there is one.

    Every server we run (uvicorn, Starlette's test client) gives `raw_path`; without it, the
    decoded path is percent-escaped, which is also what the gateway then sends on."""
    path: bytes | None = scope.get("raw_path")
    if not path:
        path = quote(scope["path"], safe=_PATH_SAFE).encode("ascii")
    query: bytes = scope.get("query_string", b"")
    return path + b"?" + query if query else path


def signed_target(scope: Mapping[str, Any]) -> str:
    """`raw_target` as the text the signature covers (latin-1: every byte kept as it is)."""
    return raw_target(scope).decode("latin-1")


def signature(secret: str, *, timestamp: int, method: str, target: str, client_code: str, request_id: str) -> str:
    """Hex HMAC-SHA256 over `timestamp \\n METHOD \\n target \\n client code \\n request id`."""
    message = f"{timestamp}\n{method.upper()}\n{target}\n{client_code}\n{request_id}"
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def is_valid(
    secret: str,
    given: str,
    *,
    timestamp: int,
    now: float,
    max_age_seconds: int,
    method: str,
    target: str,
    client_code: str,
    request_id: str,
) -> bool:
    if abs(now - timestamp) > max_age_seconds:
        return False
    expected = signature(
        secret, timestamp=timestamp, method=method, target=target, client_code=client_code, request_id=request_id
    )
    return hmac.compare_digest(expected, given)
