"""The calling client, as the gateway vouches for it: verified signature → `ClientContext`.

Client `-` is what the gateway sends on a public path (ARCHITECTURE.md §11, quintet_shared.public):
a caller that is not a client. `ClientDep` refuses it on every route, whatever the signature says;
only the public routes take it (`PublicCallerDep`).
"""

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
PUBLIC_CLIENT = "-"


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


def signed_context(request: Request) -> ClientContext:
    """The caller the gateway signed for, client `-` included; 401 for a request that did not come
    through the gateway (or came too long ago)."""
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


def client_context(request: Request) -> ClientContext:
    """A client's request, signed by the gateway: never client `-` (a public path's caller), which
    the gateway sends only on `/<service>/public/...` and which no other route may serve."""
    context = signed_context(request)
    if context.client_code == PUBLIC_CLIENT:
        raise Unauthenticated("This route serves clients only: send the client's app id.")
    return context


ClientDep = Annotated[ClientContext, Depends(client_context)]
