"""The token in a customer's unsubscribe link: `<customer id>-<signature>`.

The signature is an HMAC-SHA256 (key `CRM_UNSUBSCRIBE_SECRET`) over the customer's id and client,
128 bits in URL-safe base64: it cannot be guessed or made for another customer, and needs no table
(ARCHITECTURE.md §11: a public route authenticates its caller with a secret token in the path). The
id says which customer; the client is the customer row's own, so a token signed for one client never
reaches another's customer. Rotating the secret invalidates the links already sent.
"""

import base64
import hashlib
import hmac
import re

SIGNATURE_BYTES = 16
MAX_CUSTOMER_ID = 2**31 - 1
_TOKEN = re.compile(r"^([1-9][0-9]{0,9})-([A-Za-z0-9_-]{22})$")


def unsubscribe_token(secret: str, *, client: str, customer_id: int) -> str:
    return f"{customer_id}-{_signature(secret, client, customer_id)}"


def token_customer(token: str) -> int | None:
    """The customer id a well-formed token names (not yet checked against its signature); else None."""
    match = _TOKEN.match(token)
    if match is None or int(match.group(1)) > MAX_CUSTOMER_ID:
        return None
    return int(match.group(1))


def token_valid(secret: str, token: str, *, client: str, customer_id: int) -> bool:
    expected = unsubscribe_token(secret, client=client, customer_id=customer_id)
    return hmac.compare_digest(token.encode(), expected.encode())


def _signature(secret: str, client: str, customer_id: int) -> str:
    digest = hmac.new(secret.encode(), f"unsubscribe\n{client}\n{customer_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:SIGNATURE_BYTES]).decode().rstrip("=")
