"""The gateway's ASGI entry point: a prefix lookup sends each request where it belongs.

`/<service>/...` goes to the proxy without any framework in between; the gateway's own pages go to
its FastAPI app, which also owns startup and shutdown (the lifespan); anything else is a 404.
"""

from collections.abc import Awaitable, Callable, Collection
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.asgi import send_problem
from gateway.proxy import MAX_REQUEST_ID, new_request_id

FRONT_PREFIXES = frozenset({"admin", "health", "metrics", "openapi.json", "docs", "login", "logout"})

ProxyCall = Callable[[Scope, Receive, Send, str], Awaitable[None]]


def first_segment(path: str) -> str:
    end = path.find("/", 1)
    return path[1:] if end < 0 else path[1:end]


class Dispatcher:
    def __init__(self, front: ASGIApp, proxy: ProxyCall, services: Collection[str], *, state: Any = None) -> None:
        clash = FRONT_PREFIXES.intersection(services)
        if clash:
            raise ValueError(f"service names clash with the gateway's own paths: {sorted(clash)}")
        self.front = front
        self.proxy = proxy
        self.services = frozenset(services)
        self.state = state  # what the app runs on, for the run modes and tests

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            head = first_segment(scope["path"])
            if head in self.services:
                await self.proxy(scope, receive, send, head)
            elif head in FRONT_PREFIXES:
                await self.front(scope, receive, send)
            else:
                await _not_found(scope, send)
        elif scope["type"] == "lifespan":
            await self.front(scope, receive, send)
        else:
            # The services speak plain HTTP only; refuse a websocket handshake.
            await send({"type": "websocket.close", "code": 1008})


async def _not_found(scope: Scope, send: Send) -> None:
    given = dict(scope["headers"]).get(b"x-request-id", b"")[:MAX_REQUEST_ID]
    request_id = (given or new_request_id()).decode("latin-1")
    await send_problem(send, 404, f"No service at {scope['path']!r}.", request_id=request_id)
