"""Registrations arriving together are written together (gateway/registrations.py), and each
caller still gets its own answer: its app id, or the refusal that concerns it alone. Over HTTP, on
SQLite and on PostgreSQL."""

import asyncio
import hashlib

import httpx
import pytest
from sqlalchemy import create_engine, func, select

from gateway import registry
from gateway.main import create_app
from gateway.models import Client
from quintet_shared.tables import outbox_message


@pytest.fixture
def gateway_url(serve, database_url, gateway_settings):
    app = create_app(
        gateway_settings(database_url),
        upstreams={"readings": "http://127.0.0.1:9", "crm": "http://127.0.0.1:9"},
        migrate=True,
    )
    return serve(app).url


def register_all(url: str, headers: dict[str, str], bodies: list[dict]) -> list[httpx.Response]:
    async def run() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as client:
            return await asyncio.gather(*(client.post("/admin/clients", json=body) for body in bodies))

    return asyncio.run(run())


def stored(database_url: str) -> tuple[dict[str, str], list[str]]:
    engine = create_engine(database_url)
    with engine.connect() as conn:
        hashes = dict(conn.execute(select(Client.code, Client.app_id_hash)).all())  # type: ignore[call-overload]
        events = list(conn.scalars(select(outbox_message.c.body)))
        assert conn.scalar(select(func.count()).select_from(outbox_message)) == len(events)
    engine.dispose()
    return hashes, events


def test_concurrent_registrations_each_get_their_own_answer(gateway_url, admin_headers, database_url):
    admin = httpx.Client(base_url=gateway_url, headers=admin_headers)
    assert admin.post("/admin/clients", json={"code": "taken", "name": "T", "services": ["crm"]}).status_code == 201
    bodies = [{"code": f"client-{n}", "name": f"Client {n}", "services": ["readings"]} for n in range(40)]
    bodies += [
        {"code": "twice", "name": "First", "services": ["crm"]},
        {"code": "twice", "name": "Second", "services": ["crm"]},
        {"code": "taken", "name": "Again", "services": ["crm"]},
        {"code": "weather", "name": "W", "services": ["weather"]},
    ]
    responses = register_all(gateway_url, admin_headers, bodies)
    statuses = [response.status_code for response in responses]
    assert statuses[:40] == [201] * 40
    assert sorted(statuses[40:42]) == [201, 409] and statuses[42:] == [409, 422]
    assert all(r.headers["content-type"] == "application/problem+json" for r in responses[40:] if r.status_code != 201)

    hashes, events = stored(database_url)
    created = [response.json() for response in responses if response.status_code == 201]
    assert len(hashes) == len(created) + 1 == len(events)
    for client in created:  # each caller's app id is the one stored for its code, and works
        assert hashes[client["code"]] == hashlib.sha256(client["app_id"].encode()).hexdigest()
    assert len({client["app_id"] for client in created}) == len(created)
    assert admin.get("/admin/clients/weather").status_code == 404


def test_a_batch_the_database_refuses_is_written_one_by_one(
    gateway_url, admin_headers, database_url, monkeypatch: pytest.MonkeyPatch
):
    register_many = registry.register_many
    refused: list[int] = []

    def refusing_batches(session, *, registrations, **kwargs):
        if len(registrations) > 1:
            refused.append(len(registrations))
            raise RuntimeError("the database refused the batch")
        return register_many(session, registrations=registrations, **kwargs)

    monkeypatch.setattr(registry, "register_many", refusing_batches)
    bodies = [{"code": f"one-{n}", "name": "One", "services": ["readings"]} for n in range(20)]
    responses = register_all(gateway_url, admin_headers, bodies)
    assert [response.status_code for response in responses] == [201] * 20
    assert refused, "no batch was ever written"
    hashes, events = stored(database_url)
    assert len(hashes) == len(events) == 20
