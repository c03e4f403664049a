"""Public routes of a kit-built service (quintet_shared.public): client `-` there and nowhere else."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient

from quintet_shared.bus.memory import InMemoryBus
from quintet_shared.component import ComponentDefinition, create_service_app
from quintet_shared.context import ClientDep
from quintet_shared.db import make_engine
from quintet_shared.errors import documented_problem
from quintet_shared.public import PublicCallerDep, public_router
from quintet_shared.runtime import Runtime
from quintet_shared.settings import ComponentSettings
from quintet_shared.tables import kit_metadata
from quintet_shared.testing.gateway import signed_headers

SECRET = "kit-test-secret"

public = public_router("feeds")


@public.get("/prices/{token}", responses={404: documented_problem("No feed has this token")})
def prices(token: str, caller: PublicCallerDep) -> dict[str, str]:
    return {"token": token, "request_id": caller.request_id}


private = APIRouter()


@private.get("/feeds/settings")
def feed_settings(client: ClientDep) -> dict[str, str]:
    return {"client": client.client_code}


def definition(**changes: object) -> ComponentDefinition:
    values: dict[str, object] = {
        "name": "feeds",
        "title": "Feeds",
        "port": 8997,
        "settings_class": ComponentSettings,
        "metadata": kit_metadata,
        "migrations": Path("unused"),
        "app_factory": "unused",
        "routers": [private],
        "public_routers": [public],
        **changes,
    }
    return ComponentDefinition(**values)  # type: ignore[arg-type]


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    engine = make_engine(f"sqlite:///{tmp_path / 'feeds.db'}")
    kit_metadata.create_all(engine)
    settings = ComponentSettings(quintet_env="test", gateway_secret=SECRET)
    app = create_service_app(definition(), settings, Runtime(engine=engine, bus=InMemoryBus()))
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client
    engine.dispose()


def signed(target: str, client: str) -> dict[str, str]:
    return signed_headers(SECRET, method="GET", target=target, client=client)


def test_a_public_route_takes_client_dash(client: TestClient) -> None:
    response = client.get("/feeds/public/prices/t0k", headers=signed("/feeds/public/prices/t0k", "-"))
    assert response.status_code == 200, response.text
    assert response.json() == {"token": "t0k", "request_id": "req-1"}


def test_a_public_route_still_needs_the_gateway_signature(client: TestClient) -> None:
    assert client.get("/feeds/public/prices/t0k").status_code == 401
    forged = signed_headers("another-secret", method="GET", target="/feeds/public/prices/t0k", client="-")
    assert client.get("/feeds/public/prices/t0k", headers=forged).status_code == 401


def test_a_public_route_refuses_a_clients_request(client: TestClient) -> None:
    response = client.get("/feeds/public/prices/t0k", headers=signed("/feeds/public/prices/t0k", "acme"))
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


def test_dash_signed_by_the_gateway_is_refused_on_every_other_route(client: TestClient) -> None:
    """Defence in depth: the signature is the gateway's, but no client route serves client `-`."""
    for path in ("/feeds/settings", f"/feeds/jobs/{'0' * 8}-0000-0000-0000-{'0' * 12}", "/feeds/tenant"):
        response = client.get(path, headers=signed(path, "-"))
        assert response.status_code == 401, (path, response.text)
        assert "clients only" in response.json()["detail"]
    assert client.get("/feeds/settings", headers=signed("/feeds/settings", "acme")).json() == {"client": "acme"}


def test_public_routes_are_documented_signed_and_with_their_own_answers(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/feeds/public/prices/{token}"]["get"]
    assert {"401", "404", "422", "503"} <= set(operation["responses"])
    assert operation["tags"] == ["feeds public"]


def test_routes_are_where_their_router_says() -> None:
    stray_public = APIRouter()
    stray_public.get("/feeds/prices")(prices)
    with pytest.raises(ValueError, match="not under /feeds/public/"):
        create_service_app(definition(public_routers=[stray_public]), ComponentSettings(quintet_env="test"))
    stray_private = APIRouter()
    stray_private.get("/feeds/public/settings")(feed_settings)
    with pytest.raises(ValueError, match="not on a public router"):
        create_service_app(definition(routers=[stray_private]), ComponentSettings(quintet_env="test"))
