"""Public paths (ARCHITECTURE.md §11) through a real gateway: `/<service>/public/...` reaches the
service without an app id as client `-`; nothing else of any service does, however it is spelled.

The `hooks` service is built with the kit (a public route that checks a token in its path, a client
route, and a catch-all that would answer any path that slipped through); the five services are their
real route tables, behind upstreams that are down: a request forwarded there would be a 502. (The
subscriptions service's own public route, its delivery receipts, is tested through this gateway in
its tests.)
"""

import re
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi import APIRouter, FastAPI, Request

from gateway.main import create_app
from quintet_shared.bus.memory import InMemoryBus
from quintet_shared.component import ComponentDefinition, create_service_app
from quintet_shared.context import ClientDep
from quintet_shared.db import make_engine
from quintet_shared.errors import NotFound
from quintet_shared.openapi_answers import HTTP_METHODS
from quintet_shared.public import PublicCallerDep, public_router
from quintet_shared.runtime import Runtime
from quintet_shared.settings import ComponentSettings
from quintet_shared.tables import kit_metadata

TOKEN = "k7Qx-s3cret_token.v1"
SERVICES = ("readings", "promotions", "subscriptions", "crm", "marketplace")
MISSING_APP_ID = "App-Id header is missing!"


def hooks_service(secret: str, engine: Any) -> FastAPI:
    reached: list[str] = []
    public = public_router("hooks")

    @public.post("/sms/{token}")
    async def delivered(token: str, request: Request, caller: PublicCallerDep) -> dict[str, Any]:
        reached.append(request.url.path)
        if token != TOKEN:
            raise NotFound("No such callback.")
        return {"client": request.headers["x-client-code"], "request_id": caller.request_id}

    private = APIRouter()

    @private.get("/hooks/stores")
    async def stores(client: ClientDep, request: Request) -> dict[str, str]:
        reached.append(request.url.path)
        return {"client": client.client_code}

    @private.api_route("/hooks/{rest:path}", methods=["GET", "POST"])
    async def anything(rest: str, client: ClientDep, request: Request) -> dict[str, str]:
        reached.append(request.url.path)
        return {"client": client.client_code, "rest": rest}

    definition = ComponentDefinition(
        name="hooks",
        title="Hooks",
        port=8998,
        settings_class=ComponentSettings,
        metadata=kit_metadata,
        migrations=Path("unused"),
        app_factory="unused",
        routers=[private],
        public_routers=[public],
        keeps_tenants=False,
    )
    settings = ComponentSettings(quintet_env="test", gateway_secret=secret)
    app = create_service_app(definition, settings, Runtime(engine=engine, bus=InMemoryBus()))
    app.state.reached = reached
    return app


@dataclass
class Raw:
    status: int
    headers: dict[str, str]
    body: str


def raw_request(base_url: str, method: str, target: str, headers: dict[str, str] | None = None) -> Raw:
    """One request with the target exactly as given: HTTP clients normalise `..`, `//` and escapes."""
    address = urlsplit(base_url)
    lines = [f"{method} {target} HTTP/1.1", f"Host: {address.netloc}", "Connection: close", "Content-Length: 0"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    with socket.create_connection((address.hostname, address.port), timeout=10) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    fields = dict(line.split(": ", 1) for line in header_lines)
    return Raw(int(status_line.split()[1]), {k.lower(): v for k, v in fields.items()}, body.decode("utf-8", "replace"))


@dataclass
class Stack:
    url: str
    hooks: FastAPI


@pytest.fixture(scope="module")
def stack(serve_module, tmp_path_factory, gateway_settings, unused_port) -> Iterator[Stack]:
    directory = tmp_path_factory.mktemp("public")
    engine = make_engine(f"sqlite:///{directory / 'hooks.db'}")
    kit_metadata.create_all(engine)
    settings = gateway_settings(f"sqlite:///{directory / 'gateway.db'}", public_rate_limit_per_minute=1000)
    hooks = hooks_service(settings.gateway_secret, engine)
    upstreams = {"hooks": serve_module(hooks).url}
    upstreams.update({name: f"http://127.0.0.1:{unused_port()}" for name in SERVICES})
    gateway = serve_module(create_app(settings, upstreams=upstreams, migrate=True))
    yield Stack(url=gateway.url, hooks=hooks)
    engine.dispose()


@pytest.fixture
def app_id(stack, register_client) -> str:
    return register_client(stack.url, f"c{uuid.uuid4().hex[:10]}", ["hooks", "readings", "promotions"])["app_id"]


def test_a_public_path_reaches_the_service_without_an_app_id_as_client_dash(stack):
    response = raw_request(stack.url, "POST", f"/hooks/public/sms/{TOKEN}", {"X-Request-Id": "cb-1"})
    assert response.status == 200, response.body
    assert '"client":"-"' in response.body and '"request_id":"cb-1"' in response.body


def test_an_app_id_on_a_public_path_is_ignored(stack, app_id):
    for given in (app_id, "not-an-app-id"):
        response = raw_request(stack.url, "POST", f"/hooks/public/sms/{TOKEN}", {"X-App-Id": given})
        assert response.status == 200, response.body
        assert '"client":"-"' in response.body


def test_a_wrong_or_absent_token_is_the_services_answer(stack):
    assert raw_request(stack.url, "POST", "/hooks/public/sms/wrong-token").status == 404
    assert raw_request(stack.url, "POST", "/hooks/public/sms/").status == 401  # not public: an empty segment
    # No public route there: the client catch-all matches, and refuses client `-` (the kit's guard).
    stray = raw_request(stack.url, "POST", "/hooks/public/nothing-here")
    assert stray.status == 401 and "serves clients only" in stray.body


def test_a_client_route_of_the_same_service_still_needs_an_app_id(stack, app_id):
    response = raw_request(stack.url, "GET", "/hooks/stores")
    assert (response.status, MISSING_APP_ID in response.body) == (401, True)
    allowed = raw_request(stack.url, "GET", "/hooks/stores", {"X-App-Id": app_id})
    assert allowed.status == 200 and '"client":"c' in allowed.body


TRICKS = [
    "/{s}/public/../stores",
    "/{s}/public/./stores",
    "/{s}/public/x/../../stores",
    "/{s}/public%2F..%2Fstores",
    "/{s}/public%2f..%2fstores",
    "/{s}/public/%2e%2e/stores",
    "/{s}/public/%2E%2E/%2E%2E/stores",
    "/{s}/public/x%2F..%2F..%2Fstores",
    "/{s}/public/..%5Cstores",
    "/{s}/public\\..\\stores",
    "/{s}//public/x",
    "/{s}/public//x",
    "/{s}/public/",
    "/{s}/public",
    "/{s}/Public/x",
    "/{s}/PUBLIC/x",
    "/{s}/%70ublic/x",
    "/{s}%2Fpublic/x",
    "/{s}/public/x%00",
    "/{s}/public/x;/../../stores",
]


@pytest.mark.parametrize("trick", TRICKS)
def test_no_spelling_of_a_public_path_reaches_a_client_route_without_an_app_id(stack, trick):
    before = list(stack.hooks.state.reached)
    for service in ("hooks", *SERVICES):
        response = raw_request(stack.url, "GET", trick.format(s=service))
        assert response.status in (400, 401), (service, response.status, response.body)
        if response.status == 401:
            assert MISSING_APP_ID in response.body
    upper = raw_request(stack.url, "GET", trick.format(s="HOOKS"))
    assert upper.status in (400, 404), upper.body  # no service by that name
    assert stack.hooks.state.reached == before  # not one of them reached the service


def _service_routes(definition: ComponentDefinition) -> list[tuple[str, str]]:
    """Every client operation of the service's document (what its routers serve, its own public
    routes left out), path parameters filled in."""
    app = create_service_app(definition, definition.settings_class(quintet_env="test"))
    found = []
    for template, item in app.openapi()["paths"].items():
        if template.startswith(f"/{definition.name}/") and not template.startswith(f"/{definition.name}/public/"):
            path = re.sub(r"\{[^}]+\}", "x", template)
            found += [(method.upper(), path) for method in item if method in HTTP_METHODS]
    assert found, definition.name
    return found


def _real_routes() -> list[tuple[str, str]]:
    return [route for name in SERVICES for route in _service_routes(import_module(f"{name}.component").DEFINITION)]


@pytest.mark.parametrize(("method", "path"), _real_routes())
def test_every_client_route_of_every_service_needs_an_app_id(stack, method, path):
    response = raw_request(stack.url, method, path)
    assert response.status == 401 and MISSING_APP_ID in response.body, (method, path, response.body)
    service, rest = path[1:].split("/", 1)
    for trick in (f"/{service}/public/../{rest}", f"/{service}/public%2F..%2F{rest}"):
        response = raw_request(stack.url, method, trick)
        assert response.status == 401 and MISSING_APP_ID in response.body, (method, trick, response.body)


def test_public_paths_are_limited_per_remote_address(serve, tmp_path, gateway_settings, register_client):
    engine = make_engine(f"sqlite:///{tmp_path / 'hooks.db'}")
    kit_metadata.create_all(engine)
    settings = gateway_settings(f"sqlite:///{tmp_path / 'gateway.db'}", public_rate_limit_per_minute=3)
    hooks = serve(hooks_service(settings.gateway_secret, engine))
    gateway = serve(create_app(settings, upstreams={"hooks": hooks.url}, migrate=True))
    grant = register_client(gateway.url, f"c{uuid.uuid4().hex[:10]}", ["hooks"])
    statuses = [raw_request(gateway.url, "POST", f"/hooks/public/sms/{TOKEN}").status for _ in range(3)]
    assert statuses == [200, 200, 200]
    limited = raw_request(gateway.url, "POST", "/hooks/public/sms/any-token", {"X-App-Id": grant["app_id"]})
    assert limited.status == 429 and "per address" in limited.body
    assert int(limited.headers["retry-after"]) >= 1
    assert limited.headers["content-type"] == "application/problem+json"
    # A client's own requests count against its own limit, not the address's.
    assert raw_request(gateway.url, "GET", "/hooks/stores", {"X-App-Id": grant["app_id"]}).status == 200
    engine.dispose()
