"""Client registry use cases: register, list, update, rotate the app id, disable.

Plain functions over a session: the caller (an admin route, a CLI command, a test) commits once, so
a client change and its outbox event are stored together or not at all.
"""

import hashlib
import secrets
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col

from gateway.events import CLIENT_REGISTERED, CLIENT_UPDATED, ClientChanged
from gateway.models import Client, ClientCreate, ClientUpdate
from quintet_shared.envelope import Envelope
from quintet_shared.errors import Conflict, NotFound, Problem
from quintet_shared.outbox import add_event, add_events

AppIdFactory = Callable[[], str]


def generate_app_id() -> str:
    """A fresh secret: 32 random bytes, URL-safe."""
    return secrets.token_urlsafe(32)


def hash_app_id(app_id: str) -> str:
    # A plain SHA-256 is right here, unlike for passwords: an app id is 256 random bits, so there
    # is nothing to guess and no dictionary to try, and a slow KDF would only cost milliseconds on
    # the request path. A deterministic hash also lets the lookup use a unique index.
    return hashlib.sha256(app_id.encode()).hexdigest()


def check_services(services: Collection[str], known: Collection[str]) -> None:
    """A client may only be granted services the gateway routes to."""
    unknown = [name for name in services if name not in known]
    if unknown:
        raise Problem(
            f"Unknown services: {', '.join(unknown)}. Known: {', '.join(sorted(known))}.",
            status=422,
            errors=[{"loc": ["body", "services"], "msg": f"unknown service {name!r}"} for name in unknown],
        )


def _new_client(data: ClientCreate, *, default_rate_limit: int, app_id: str, now: datetime) -> Client:
    return Client(
        code=data.code,
        name=data.name,
        services=list(data.services),
        rate_limit_per_minute=data.rate_limit_per_minute or default_rate_limit,
        active=True,
        app_id_hash=hash_app_id(app_id),
        created_at=now,
        updated_at=now,
    )


def register(
    session: Session,
    *,
    data: ClientCreate,
    known_services: Collection[str],
    default_rate_limit: int,
    now: datetime,
    correlation_id: str | None = None,
    new_app_id: AppIdFactory = generate_app_id,
) -> tuple[Client, str]:
    """A new client with a fresh app id, which is returned here and never again."""
    check_services(data.services, known_services)
    if session.get(Client, data.code) is not None:
        raise _taken(data.code)
    app_id = new_app_id()
    client = _new_client(data, default_rate_limit=default_rate_limit, app_id=app_id, now=now)
    session.add(client)
    _record(session, client, CLIENT_REGISTERED, now=now, correlation_id=correlation_id)
    return client, app_id


@dataclass(frozen=True)
class Registration:
    """One client to register, with the request id its event carries."""

    data: ClientCreate
    correlation_id: str | None = None


def register_many(
    session: Session,
    *,
    registrations: Sequence[Registration],
    known_services: Collection[str],
    default_rate_limit: int,
    now: datetime,
    new_app_id: AppIdFactory = generate_app_id,
) -> list[tuple[Client, str] | Problem]:
    """`register` for several clients in one transaction: one statement for their rows, then their
    events. Each gets its client and app id, or the Problem that refused it alone (an unknown
    service, a code taken before or earlier in the same batch). The rows are not added to the
    session: the clients returned are plain values.

    Raises what the database raises (a race with another writer of the same code): the caller
    then registers each client on its own, so that one refusal does not sink the rest.
    """
    outcomes: list[tuple[Client, str] | Problem] = []
    wanted: dict[str, tuple[Client, str]] = {}
    for registration in registrations:
        data = registration.data
        try:
            check_services(data.services, known_services)
            if data.code in wanted:
                raise _taken(data.code)
        except Problem as refused:
            outcomes.append(refused)
            continue
        app_id = new_app_id()
        wanted[data.code] = (_new_client(data, default_rate_limit=default_rate_limit, app_id=app_id, now=now), app_id)
        outcomes.append(wanted[data.code])
    stored = _insert_absent(session, [client for client, _app_id in wanted.values()])
    events = []
    for index, (registration, outcome) in enumerate(zip(registrations, outcomes, strict=True)):
        if isinstance(outcome, Problem):
            continue
        client = outcome[0]
        if client.code not in stored:
            outcomes[index] = _taken(client.code)
            continue
        events.append(_event(client, CLIENT_REGISTERED, now=now, correlation_id=registration.correlation_id))
    add_events(session, events)
    return outcomes


def _insert_absent(session: Session, clients: list[Client]) -> set[str]:
    """Insert the clients whose code is free; returns the codes inserted."""
    if not clients:
        return set()
    columns = ("code", "name", "services", "rate_limit_per_minute", "active", "app_id_hash", "created_at", "updated_at")
    rows = [{name: getattr(client, name) for name in columns} for client in clients]
    dialect_insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    table = Client.__table__  # type: ignore[attr-defined]
    # An executemany of one compiled statement (SQLAlchemy sends it as one multi-row INSERT): a
    # `values(rows)` statement would be compiled again for every batch.
    statement = dialect_insert(table).on_conflict_do_nothing(index_elements=["code"]).returning(table.c.code)
    return set(session.scalars(statement, rows))


def _taken(code: str) -> Conflict:
    return Conflict(f"A client with code {code!r} already exists.")


def list_clients(session: Session, *, page: int, page_size: int) -> tuple[int, list[Client]]:
    count = session.scalar(select(func.count()).select_from(Client)) or 0
    query = select(Client).order_by(Client.code).offset((page - 1) * page_size).limit(page_size)
    return count, list(session.scalars(query))


def get_client(session: Session, *, code: str) -> Client:
    client = session.get(Client, code)
    if client is None:
        raise NotFound(f"No client with code {code!r}.")
    return client


def update_client(
    session: Session,
    *,
    code: str,
    changes: ClientUpdate,
    known_services: Collection[str],
    now: datetime,
    correlation_id: str | None = None,
) -> Client:
    """Apply the given fields; services learn of the change only if something actually changed."""
    client = get_client(session, code=code)
    fields = changes.model_dump(exclude_unset=True, exclude_none=True)
    if "services" in fields:
        check_services(fields["services"], known_services)
    changed = {name: value for name, value in fields.items() if getattr(client, name) != value}
    if not changed:
        return client
    for name, value in changed.items():
        setattr(client, name, value)
    client.updated_at = now
    session.add(client)
    _record(session, client, CLIENT_UPDATED, now=now, correlation_id=correlation_id)
    return client


def disable_client(session: Session, *, code: str, now: datetime, correlation_id: str | None = None) -> Client:
    """An inactive client's app id is refused (401) while its registration is kept."""
    changes = ClientUpdate(active=False)
    return update_client(session, code=code, changes=changes, known_services=(), now=now, correlation_id=correlation_id)


def rotate_app_id(
    session: Session, *, code: str, now: datetime, new_app_id: AppIdFactory = generate_app_id
) -> tuple[Client, str]:
    """Replace the secret; the old one stops working. Only the secret changes, so no event."""
    client = get_client(session, code=code)
    app_id = new_app_id()
    client.app_id_hash = hash_app_id(app_id)
    client.updated_at = now
    session.add(client)
    return client, app_id


def find_by_app_id_hash(session: Session, app_id_hash: str) -> Client | None:
    return session.scalars(select(Client).where(col(Client.app_id_hash) == app_id_hash)).first()


def find_by_code(session: Session, code: str) -> Client | None:
    return session.get(Client, code)


def _record(session: Session, client: Client, event_type: str, *, now: datetime, correlation_id: str | None) -> None:
    add_event(session, _event(client, event_type, now=now, correlation_id=correlation_id))


def _event(client: Client, event_type: str, *, now: datetime, correlation_id: str | None) -> Envelope:
    data = ClientChanged(
        code=client.code,
        name=client.name,
        services=list(client.services),
        rate_limit_per_minute=client.rate_limit_per_minute,
        active=client.active,
    )
    return Envelope.new(
        type=event_type, source="gateway", data=data, client=client.code, correlation_id=correlation_id, time=now
    )
