"""Calling a service directly in a test, as the gateway would (ARCHITECTURE.md §4)."""

import time

import httpx

from quintet_shared.context import CLIENT_HEADER, REQUEST_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER
from quintet_shared.signing import signature


def signed_headers(
    secret: str, *, method: str, target: str, client: str, request_id: str = "req-1", age: int = 0
) -> dict[str, str]:
    """The headers the gateway adds to a request it forwards, signed with `secret` `age` seconds ago.

    `target` is the path and query as the test passes them to its HTTP client; they are signed in
    the form that client sends them (httpx escapes a space, for one), as the gateway signs the
    target as sent (quintet_shared.signing.signed_target)."""
    timestamp = int(time.time()) - age
    sent = httpx.URL(target).raw_path.decode("ascii")
    signed = signature(
        secret, timestamp=timestamp, method=method, target=sent, client_code=client, request_id=request_id
    )
    return {
        CLIENT_HEADER: client,
        REQUEST_ID_HEADER: request_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signed,
    }
