"""The gateway's client events reach every service's copy of the registry, once."""

import asyncio

import pytest
from fastapi.testclient import TestClient

from quintet_platform.components import SERVICES, definition
from quintet_shared.bus.memory import InMemoryBus
from quintet_shared.component import ComponentDefinition, create_service_app
from quintet_shared.db import make_engine
from quintet_shared.envelope import Envelope
from quintet_shared.migrations import upgrade
from quintet_shared.runtime import Runtime
from quintet_shared.testing.gateway import signed_headers
from quintet_shared.worker import ComponentWorker


async def consuming(name: str, url: str) -> tuple[ComponentDefinition, InMemoryBus, Runtime, ComponentWorker]:
    """The service's database migrated and its worker consuming from an in-process bus."""
    component = definition(name)
    upgrade(component.migrations, url)
    bus = InMemoryBus()
    runtime = Runtime(engine=make_engine(url), bus=bus, owns_bus=False)
    worker = ComponentWorker(component, component.settings(), runtime)
    await worker.start_consumers()
    return component, bus, runtime, worker


@pytest.mark.parametrize("name", SERVICES)
async def test_a_registered_client_becomes_known_to_the_service(name: str, sqlite_url: str) -> None:
    component, bus, runtime, _worker = await consuming(name, sqlite_url)
    event = Envelope.new(
        type="gateway.client.registered",
        source="gateway",
        client="acme",
        data={"code": "acme", "name": "Acme", "services": [name], "rate_limit_per_minute": 60, "active": True},
    )
    await bus.publish([event.outgoing(), event.outgoing()])  # a duplicate delivery changes nothing
    app = create_service_app(component, component.settings(), runtime)
    path = f"/{name}/tenant"
    with TestClient(app) as client:
        for _ in range(100):
            headers = signed_headers(component.settings().gateway_secret, method="GET", target=path, client="acme")
            response = client.get(path, headers=headers)
            if response.status_code == 200:
                break
            await asyncio.sleep(0.02)
        assert response.status_code == 200, response.text
        assert response.json()["name"] == "Acme"
    await bus.close()


async def test_the_worker_counts_what_it_handles(sqlite_url: str) -> None:
    _component, bus, _runtime, worker = await consuming("crm", sqlite_url)
    event = Envelope.new(
        type="gateway.client.updated", source="gateway", data={"code": "acme", "name": "Acme", "services": ["crm"]}
    )
    await bus.publish([event.outgoing()])
    handled = worker.metrics.consumed.labels("crm.events", "handled")
    for _ in range(100):
        if handled._value.get() == 1:
            break
        await asyncio.sleep(0.02)
    assert handled._value.get() == 1
    await bus.close()
