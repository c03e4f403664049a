"""A provider that is down: the connection is reset instead of answered.

ASGI has no message to drop a connection, so `ConnectionKeeper`, outermost of the app's own
middleware, keeps in the request's scope the transport of the server's request cycle (uvicorn's
`receive` is a method of the cycle, which holds the transport). `reset_connection` then sets
SO_LINGER to zero and aborts: the kernel sends a RST, and the client sees "connection reset by peer"
without a byte of answer, as from a provider that fell over. Later writes to the aborted connection
are dropped by the server, so the route may return any response.
"""

import asyncio
import logging
import socket
import struct
from contextlib import suppress

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger(__name__)

SCOPE_KEY = "sandbox.transport"


class ConnectionUnavailable(RuntimeError):
    """Raised when the server gives no transport to abort (an in-process test client, say)."""


class ConnectionKeeper:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            transport = getattr(getattr(receive, "__self__", None), "transport", None)
            if isinstance(transport, asyncio.BaseTransport):
                scope[SCOPE_KEY] = transport
        await self.app(scope, receive, send)


async def reset_connection(request: Request) -> None:
    transport = request.scope.get(SCOPE_KEY)
    if not isinstance(transport, asyncio.Transport):
        raise ConnectionUnavailable("no connection to reset: the server did not give its transport")
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with suppress(OSError):  # without it the close is a FIN instead of a RST: still no answer
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
    # Let the server see the connection lost before the route returns, so nothing is written after.
    await asyncio.sleep(0)
    await asyncio.sleep(0)
