"""The `Allow` header of a 405: every method the path accepts, not only those of one route.

Starlette answers 405 with the methods of the first route whose path matched, so `/admin/clients`
(a GET route and a POST route) said `Allow: POST`, and `/readings/files` said `Allow: GET` because
`/readings/{identifier}` came first. As OpenAPI reads paths, a concrete path wins over a templated one
that also matches (`/readings/files` is not the identifier "files"), so the methods are those of the
most concrete routes matching the path.
"""

from fastapi.routing import iter_route_contexts
from starlette.requests import Request

METHOD_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE")


def allowed_methods(request: Request) -> list[str]:
    path = request.scope["path"]
    by_concreteness: dict[int, set[str]] = {}
    # FastAPI keeps included routers nested; iter_route_contexts yields their routes as served.
    for route in iter_route_contexts(request.app.router.routes):
        regex = getattr(route, "path_regex", None)
        if route.methods and regex is not None and regex.match(path):
            by_concreteness.setdefault(len(route.param_convertors), set()).update(route.methods)
    if not by_concreteness:
        return []
    methods = by_concreteness[min(by_concreteness)]
    return sorted(methods, key=lambda m: METHOD_ORDER.index(m) if m in METHOD_ORDER else len(METHOD_ORDER))
