"""Calling a service directly in a test, as the gateway would (ARCHITECTURE.md §4)."""

import time

from quintet_shared.context import CLIENT_HEADER, REQUEST_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER
from quintet_shared.signing import signature


def signed_headers(
    secret: str, *, method: str, target: str, client: str, request_id: str = "req-1", age: int = 0
) -> dict[str, str]:
    """The headers the gateway adds to a request it forwards, signed with `secret` `age` seconds ago.
    `target` is the path and raw query exactly as the service will see them."""
    timestamp = int(time.time()) - age
    signed = signature(
        secret, timestamp=timestamp, method=method, target=target, client_code=client, request_id=request_id
    )
    return {
        CLIENT_HEADER: client,
        REQUEST_ID_HEADER: request_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signed,
    }
