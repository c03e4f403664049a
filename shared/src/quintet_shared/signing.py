"""The gateway's request signature (ARCHITECTURE.md §4), made by the gateway, checked by services."""

import hashlib
import hmac


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
