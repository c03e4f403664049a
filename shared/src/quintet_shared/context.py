"""The calling client, as the gateway vouches for it: verified signature → `ClientContext`."""

import time
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from quintet_shared import signing
from quintet_shared.errors import Problem
from quintet_shared.logs import client_var

CLIENT_HEADER = "x-client-code"
REQUEST_ID_HEADER = "x-request-id"
TIMESTAMP_HEADER = "x-gateway-timestamp"
SIGNATURE_HEADER = "x-gateway-signature"


@dataclass(frozen=True)
class ClientContext:
    client_code: str
    request_id: str


class Unauthenticated(Problem):
    status = 401


def request_target(request: Request) -> str:
    """The target the gateway signed: the raw path as sent, not `request.url` (which re-parses the
    decoded path and so loses or splits at an escaped `#`, `?`, tab, CR or LF)."""
    return signing.signed_target(request.scope)


def client_context(request: Request) -> ClientContext:
    """Reject requests that did not come through the gateway (or came too long ago)."""
    headers = request.headers
    settings = request.app.state.settings
    client_code = headers.get(CLIENT_HEADER)
    request_id = headers.get(REQUEST_ID_HEADER, "")
    given = headers.get(SIGNATURE_HEADER)
    try:
        timestamp = int(headers.get(TIMESTAMP_HEADER, ""))
    except ValueError:
        raise Unauthenticated("Missing or malformed gateway signature.") from None
    if not client_code or not given:
        raise Unauthenticated("Missing or malformed gateway signature.")
    valid = signing.is_valid(
        settings.gateway_secret,
        given,
        timestamp=timestamp,
        now=time.time(),
        max_age_seconds=settings.signature_max_age_seconds,
        method=request.method,
        target=request_target(request),
        client_code=client_code,
        request_id=request_id,
    )
    if not valid:
        raise Unauthenticated("Invalid or expired gateway signature.")
    client_var.set(client_code)
    return ClientContext(client_code=client_code, request_id=request_id)


ClientDep = Annotated[ClientContext, Depends(client_context)]
