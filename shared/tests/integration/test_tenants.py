"""A service's copy of the client registry follows the gateway's events, in any order, on both databases."""

from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from quintet_shared.db import make_engine
from quintet_shared.envelope import Envelope
from quintet_shared.tables import kit_metadata
from quintet_shared.tenants import CLIENT_REGISTERED, CLIENT_UPDATED, find_tenant, remember_client, remember_clients

T0 = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def client_event(event_type: str, name: str, at: datetime, *, active: bool = True) -> Envelope:
    data = {"code": "acme", "name": name, "services": ["crm"], "rate_limit_per_minute": 60, "active": active}
    return Envelope.new(type=event_type, source="gateway", data=data, time=at)


def test_newer_events_win_whatever_their_arrival_order(database_url: str) -> None:
    engine = make_engine(database_url)
    kit_metadata.create_all(engine)
    registered = client_event(CLIENT_REGISTERED, "Acme", T0)
    renamed = client_event(CLIENT_UPDATED, "Acme Ltd", T0 + timedelta(minutes=1))
    disabled = client_event(CLIENT_UPDATED, "Acme Ltd", T0 + timedelta(minutes=2), active=False)
    with Session(engine) as session:
        for event in (registered, disabled, renamed):  # the rename arrives last but is older
            remember_client(session, event)
        session.commit()
        tenant = find_tenant(session, "acme")
    engine.dispose()
    assert tenant is not None
    assert (tenant.name, tenant.active) == ("Acme Ltd", False)
    assert tenant.registered_at == T0 and tenant.updated_at == disabled.time


def test_one_batch_of_client_events_lands_as_the_events_one_by_one_would(database_url: str) -> None:
    engine = make_engine(database_url)
    kit_metadata.create_all(engine)
    registered = client_event(CLIENT_REGISTERED, "Acme", T0)
    renamed = client_event(CLIENT_UPDATED, "Acme Ltd", T0 + timedelta(minutes=1))
    disabled = client_event(CLIENT_UPDATED, "Acme Ltd", T0 + timedelta(minutes=2), active=False)
    other = Envelope.new(
        type=CLIENT_REGISTERED, source="gateway", data={"code": "other", "name": "Other", "services": []}, time=T0
    )
    stale = client_event(CLIENT_UPDATED, "Acme (stale)", T0 - timedelta(minutes=5))
    with Session(engine) as session:
        remember_client(session, registered)
        session.commit()
        # One statement for the batch: the newest event of each client wins, in any order.
        remember_clients(session, [disabled, other, renamed, stale])
        session.commit()
        acme, known_other = find_tenant(session, "acme"), find_tenant(session, "other")
    engine.dispose()
    assert acme is not None and known_other is not None
    assert (acme.name, acme.active, acme.registered_at, acme.updated_at) == ("Acme Ltd", False, T0, disabled.time)
    assert (known_other.name, known_other.registered_at) == ("Other", T0)
