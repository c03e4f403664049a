"""Registry use cases against real databases: changes and their events commit together or not at all."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from gateway import registry
from gateway.migrate import migrate
from gateway.models import Client, ClientCreate, ClientUpdate
from quintet_shared.db import make_engine, session_scope
from quintet_shared.errors import Conflict
from quintet_shared.tables import outbox_message

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
SERVICES = {"readings", "crm"}


@pytest.fixture
def engine(database_url):
    migrate(database_url)
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def register(session: Session, code: str, **kwargs):
    data = ClientCreate(code=code, name=code.title(), services=["readings"])
    return registry.register(session, data=data, known_services=SERVICES, default_rate_limit=600, now=NOW, **kwargs)


def events(engine) -> list[dict]:
    with engine.connect() as conn:
        return [json.loads(body) for body in conn.scalars(select(outbox_message.c.body).order_by(outbox_message.c.id))]


def count_clients(engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(Client))


def test_register_stores_the_hash_and_the_event_together(engine):
    with session_scope(engine) as session:
        _client, app_id = register(session, "potatoes", correlation_id="req-1")
    with Session(engine) as session:
        stored = session.get(Client, "potatoes")
        assert stored.app_id_hash == registry.hash_app_id(app_id) != app_id
        assert stored.created_at == NOW
        assert registry.find_by_app_id_hash(session, registry.hash_app_id(app_id)).code == "potatoes"
    [event] = events(engine)
    assert event["type"] == "gateway.client.registered"
    assert event["client"] == "potatoes" and event["correlation_id"] == "req-1"
    assert event["data"] == {
        "code": "potatoes",
        "name": "Potatoes",
        "services": ["readings"],
        "rate_limit_per_minute": 600,
        "active": True,
    }


def test_a_failure_before_commit_leaves_neither_client_nor_event(engine):
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        register(session, "potatoes")
        raise RuntimeError("crash between the use case and the commit")
    assert count_clients(engine) == 0 and events(engine) == []


def test_a_clashing_app_id_rolls_the_whole_registration_back(engine):
    with session_scope(engine) as session:
        _client, app_id = register(session, "first")
    with pytest.raises(Exception), session_scope(engine) as session:  # noqa: B017 (IntegrityError, per driver)
        register(session, "second", new_app_id=lambda: app_id)
    assert count_clients(engine) == 1
    assert [event["client"] for event in events(engine)] == ["first"]


def test_duplicate_code_is_a_conflict(engine):
    with session_scope(engine) as session:
        register(session, "potatoes")
    with pytest.raises(Conflict), session_scope(engine) as session:
        register(session, "potatoes")
    assert len(events(engine)) == 1


def test_update_records_an_event_only_for_a_real_change_and_rotate_none(engine):
    later = NOW + timedelta(minutes=5)
    with session_scope(engine) as session:
        _client, first_app_id = register(session, "potatoes")
    with session_scope(engine) as session:
        registry.update_client(
            session, code="potatoes", changes=ClientUpdate(name="Potatoes"), known_services=SERVICES, now=later
        )
    with session_scope(engine) as session:
        client = registry.disable_client(session, code="potatoes", now=later)
        assert client.active is False and client.updated_at == later
    with session_scope(engine) as session:
        _client, new_app_id = registry.rotate_app_id(session, code="potatoes", now=later)
    with Session(engine) as session:
        assert registry.find_by_app_id_hash(session, registry.hash_app_id(first_app_id)) is None
        assert registry.find_by_app_id_hash(session, registry.hash_app_id(new_app_id)).code == "potatoes"
    types = [(event["type"], event["data"]["active"]) for event in events(engine)]
    assert types == [("gateway.client.registered", True), ("gateway.client.updated", False)]
