"""Public paths (ARCHITECTURE.md §11): `/<service>/public/...` is forwarded without an app id.

Only a path that is plainly under `/<service>/public/` counts, in the form it travels (the raw path
the gateway signs and sends on): after the prefix, one or more segments of unreserved characters
(`A-Z a-z 0-9 - . _ ~`), none empty, none `.` or `..`. Anything a server or a proxy might read
otherwise (a percent-escape such as `%2F` or `%2e`, `//`, a dot segment, a backslash, another case
of `public` or of the service) is not public and needs an app id like every other path. A caller
that is not a client has no reason to send such a path: the service chooses its public paths and
the tokens in them.
"""

import re
from collections.abc import Collection
from typing import Any

PUBLIC_SEGMENT = "public"
# After the prefix: segments of unreserved characters separated by single slashes (none empty).
_REST = re.compile(rb"[A-Za-z0-9._~-]+(?:/[A-Za-z0-9._~-]+)*")
_DOT_SEGMENTS = (b".", b"..")


class PublicPaths:
    """Which requests to each service are on a public path; a startswith for any other request."""

    def __init__(self, services: Collection[str]) -> None:
        self._prefixes = {service: f"/{service}/{PUBLIC_SEGMENT}/".encode() for service in services}

    def __call__(self, scope: dict[str, Any], service: str) -> bool:
        prefix = self._prefixes[service]
        raw: bytes | None = scope.get("raw_path")
        if raw is None:
            raw = scope["path"].encode("utf-8")
        if not raw.startswith(prefix):
            return False
        if _REST.fullmatch(raw, len(prefix)) is None:
            return False
        if b"." in raw and any(segment in _DOT_SEGMENTS for segment in raw.split(b"/")):
            return False
        # Unreserved characters decode to themselves: the path the service routes on must be the
        # same string, whatever the server did (so no server reads a different route than signed).
        return scope["path"] == raw.decode("ascii")
