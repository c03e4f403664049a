"""Public routes (ARCHITECTURE.md §11): `/<service>/public/...`, for callers that are not clients.

An SMS provider's delivery callback or a marketplace polling a feed has no app id: the gateway
forwards such a path as client `-`, still signed. The route then authenticates the caller itself
(a secret token in the path, or an HMAC over the body, per client, never guessable) and finds the
client from that, since the request names none.

A service writes them on `public_router(name)` and lists that router in its definition's
`public_routers`; every route on it takes the gateway signature with client `-` only, and
`PublicCallerDep` gives the request id:

    router = public_router("subscriptions")

    @router.post("/sms/{token}", responses={404: documented_problem("No client has this token")})
    def delivered(token: str, receipt: Receipt, caller: PublicCallerDep, session: SessionDep) -> None:
        client = client_for_token(session, token)  # 404 for an unknown token
        ...

Every other route refuses client `-` (`quintet_shared.context.client_context`).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.routing import APIRoute

from quintet_shared.context import PUBLIC_CLIENT, Unauthenticated, signed_context

PUBLIC_SEGMENT = "public"


@dataclass(frozen=True)
class PublicCaller:
    """A caller on a public path: no client (the route finds it from the caller's token)."""

    request_id: str


def public_prefix(service: str) -> str:
    return f"/{service}/{PUBLIC_SEGMENT}"


def public_caller(request: Request) -> PublicCaller:
    """A request the gateway forwarded from a public path: signed, with client `-`."""
    context = signed_context(request)
    if context.client_code != PUBLIC_CLIENT:
        # The gateway sends a client's code only for a path it did not take for public (a percent-
        # escape, say): the same route at another spelling is still not a client's route.
        raise Unauthenticated("A public route is called without an app id, at its plain path.")
    return PublicCaller(request_id=context.request_id)


PublicCallerDep = Annotated[PublicCaller, Depends(public_caller)]


def public_router(service: str, **options: Any) -> APIRouter:
    """A router for `service`'s public routes: their paths are relative to `/<service>/public`."""
    options.setdefault("tags", [f"{service} public"])
    return APIRouter(prefix=public_prefix(service), **options)


def check_route_paths(service: str, *, public: Iterable[APIRouter], private: Iterable[APIRouter]) -> None:
    """Public routes lie under `/<service>/public/` and no others do (at the gateway, a client route
    there would be reached as client `-` and refused; a public route elsewhere could not be reached)."""
    prefix = public_prefix(service) + "/"
    for router in public:
        for path in _paths(router):
            if not path.startswith(prefix):
                raise ValueError(f"public route {path!r} of {service} is not under {prefix}")
    for router in private:
        for path in _paths(router):
            if path.startswith(prefix):
                raise ValueError(f"route {path!r} of {service} is under {prefix} but not on a public router")


def _paths(router: APIRouter) -> list[str]:
    return [route.path for route in router.routes if isinstance(route, APIRoute)]
