"""Every component's skeleton: migrations that match its models on both databases, health, and the
gateway signature that guards every public route."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlalchemy import inspect

from quintet_platform.components import SERVICES, all_definitions, definition
from quintet_shared.bus.memory import InMemoryBus
from quintet_shared.component import create_service_app
from quintet_shared.db import make_engine
from quintet_shared.migrations import upgrade
from quintet_shared.runtime import Runtime
from quintet_shared.settings import ComponentSettings
from quintet_shared.tables import kit_metadata
from quintet_shared.testing.gateway import signed_headers

COMPONENTS = [d.name for d in all_definitions()]


@pytest.mark.parametrize("name", COMPONENTS)
def test_migrations_build_exactly_the_models(name: str, database_url: str) -> None:
    component = definition(name)
    upgrade(component.migrations, database_url)
    engine = make_engine(database_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), [component.metadata, kit_metadata])
        tables = set(inspect(conn).get_table_names())
    engine.dispose()
    assert diff == [], f"{name}: models and migrations differ: {diff}"
    assert {"outbox_message", "inbox_message", "job", "schedule_state", "tenant"} <= tables


def signed_get_headers(path: str, *, client: str = "acme", age: int = 0, secret: str | None = None) -> dict[str, str]:
    secret = secret or ComponentSettings().gateway_secret
    return signed_headers(secret, method="GET", target=path, client=client, age=age)


@pytest.fixture(params=SERVICES)
def service_client(request: pytest.FixtureRequest, sqlite_url: str):
    component = definition(request.param)
    upgrade(component.migrations, sqlite_url)
    runtime = Runtime(engine=make_engine(sqlite_url), bus=InMemoryBus())
    app = create_service_app(component, component.settings(), runtime)
    with TestClient(app) as client:
        yield request.param, client


def test_health_is_served_outside_the_prefix(service_client) -> None:
    _, client = service_client
    assert client.get("/health/live").status_code == 200
    ready = client.get("/health/ready")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {"database": True, "bus": True}
    assert "http_requests_total" in client.get("/metrics").text


def test_requests_without_a_valid_fresh_signature_are_refused(service_client) -> None:
    name, client = service_client
    path = f"/{name}/tenant"
    cases = {
        "no signature": {},
        "wrong secret": signed_get_headers(path, secret="not-the-secret"),
        "older than 60 s": signed_get_headers(path, age=61),
        "other path": signed_get_headers(f"/{name}/other"),
    }
    for case, headers in cases.items():
        response = client.get(path, headers=headers)
        assert response.status_code == 401, case
        assert response.headers["content-type"] == "application/problem+json", case
        assert response.json()["status"] == 401
    assert client.get(path, headers=signed_get_headers(path)).status_code == 404  # signed: passes, client unknown
