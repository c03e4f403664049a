"""One provider's record and behaviour, and how its own API routes obey that behaviour.

A provider builds a `StandIn`, declares its API routes on a router made with `api_router()` (so a
provider that is down resets the connection, and a slow one waits, before anything else happens,
reading the body included), and calls `refusal(count)` once a request is authenticated and valid:
a throttled or failing request is answered there as the provider would answer it, and counted.
The inspection and fault routes come from `sandbox.kit.inspection`.
"""

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.routing import APIRoute

from quintet_shared.errors import problem_response
from sandbox.kit.abort import reset_connection
from sandbox.kit.behaviour import Behaviour, Faults
from sandbox.kit.recorder import Recorder

# The Quintet client a request is sent for: the sender names it in this header (the same name the
# services use for the client code); the sandbox lists it with what it received, None when absent.
CLIENT_HEADER = "X-Client-Code"
MAX_CLIENT_LENGTH = 100

FAILURE_STATUS = 503


class StandIn:
    def __init__(self, max_items: int, behaviour: type[Behaviour] = Behaviour) -> None:
        self.recorder = Recorder(max_items)
        self.faults = Faults(behaviour)
        self._forget: list[Callable[[], None]] = []

    def on_reset(self, forget: Callable[[], None]) -> None:
        """Also run `forget` on a reset (a provider's own state: accounts, idempotency keys...)."""
        self._forget.append(forget)

    def api_router(self) -> APIRouter:
        """A router whose routes are down, slow, or served, as the behaviour says."""
        return APIRouter(route_class=_route_class(self.faults))

    def refusal(self, count: int) -> Response | None:
        """None to serve the request; else the answer of a throttled (429) or failing (5xx) provider,
        with its `count` items counted as received and failed."""
        retry_after = self.faults.throttled()
        if retry_after is not None:
            self.recorder.refuse(count)
            detail = "Too many requests: the provider's rate limit is exceeded."
            return problem_response(429, detail, headers={"Retry-After": str(retry_after)})
        if self.faults.fails():
            self.recorder.refuse(count)
            return problem_response(FAILURE_STATUS, "The provider failed to handle the request.")
        return None

    def reset(self) -> None:
        self.recorder.reset()
        self.faults.reset()
        for forget in self._forget:
            forget()


def client_of(request: Request) -> str | None:
    client = request.headers.get(CLIENT_HEADER, "").strip()
    return client[:MAX_CLIENT_LENGTH] or None


Handler = Callable[[Request], Coroutine[Any, Any, Response]]


def _route_class(faults: Faults) -> type[APIRoute]:
    class ProviderRoute(APIRoute):
        def get_route_handler(self) -> Handler:
            handler = super().get_route_handler()

            async def obeying(request: Request) -> Response:
                behaviour = faults.behaviour
                if behaviour.down:
                    await reset_connection(request)
                    return Response(status_code=FAILURE_STATUS)  # written nowhere: the connection is gone
                if behaviour.latency_ms:
                    await asyncio.sleep(behaviour.latency_ms / 1000)
                return await handler(request)

            return obeying

    return ProviderRoute
