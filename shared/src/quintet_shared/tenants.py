"""Every service's copy of the client registry, kept current by the gateway's client events.

A service learns of a client (tenant) from `gateway.client.registered` / `gateway.client.updated`
and keeps its row, so that per-client settings can hang off it and the service can answer without
calling the gateway.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from quintet_shared.context import ClientDep
from quintet_shared.deps import SessionDep
from quintet_shared.envelope import Envelope
from quintet_shared.errors import NotFound
from quintet_shared.inbox import BatchEventHandler, EventHandler
from quintet_shared.tables import tenant

CLIENT_REGISTERED = "gateway.client.registered"
CLIENT_UPDATED = "gateway.client.updated"


class ClientEventData(BaseModel):
    """The payload of the gateway's client events (the gateway owns this contract)."""

    code: str
    name: str
    services: list[str]
    active: bool = True


class TenantPublic(BaseModel):
    code: str
    name: str
    services: list[str]
    active: bool
    registered_at: datetime
    updated_at: datetime


def remember_clients(session: Session, envelopes: Sequence[Envelope]) -> None:
    """Every client of a batch of client events in one upsert (a statement per event cost more than
    all the rest of the batch's work)."""
    rows: dict[str, dict[str, Any]] = {}
    for envelope in envelopes:
        data = ClientEventData.model_validate(envelope.data)
        row = rows.get(data.code)
        first_seen = envelope.time if row is None else min(row["registered_at"], envelope.time)
        if row is None or envelope.time >= row["updated_at"]:
            row = {"code": data.code, "name": data.name, "services": data.services, "active": int(data.active)}
            row["updated_at"] = envelope.time
        rows[data.code] = {**row, "registered_at": first_seen}
    if not rows:
        return
    dialect_insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = dialect_insert(tenant)  # the rows go as executemany parameters: compiled once (see inbox)
    # Events may arrive out of order: an older event never overwrites a newer one.
    statement = statement.on_conflict_do_update(
        index_elements=["code"],
        set_={name: statement.excluded[name] for name in ("name", "services", "active", "updated_at")},
        where=tenant.c.updated_at <= statement.excluded.updated_at,
    )
    session.execute(statement, list(rows.values()))


def remember_client(session: Session, envelope: Envelope) -> None:
    remember_clients(session, [envelope])


_REMEMBER_CLIENTS = BatchEventHandler(remember_clients)  # one handler for both: a batch keeps its order
TENANT_HANDLERS: dict[str, EventHandler] = {CLIENT_REGISTERED: _REMEMBER_CLIENTS, CLIENT_UPDATED: _REMEMBER_CLIENTS}


def find_tenant(session: Session, code: str) -> TenantPublic | None:
    row = session.execute(select(tenant).where(tenant.c.code == code)).mappings().first()
    if row is None:
        return None
    return TenantPublic(**{**row, "active": bool(row["active"])})


def tenant_router(service: str) -> APIRouter:
    router = APIRouter(tags=["client"])

    @router.get(
        f"/{service}/tenant",
        response_model=TenantPublic,
        responses={404: {"description": "This service has not yet heard of the calling client"}},
        summary="The calling client, as this service knows it",
    )
    def current_tenant(client: ClientDep, session: SessionDep) -> TenantPublic:
        found = find_tenant(session, client.client_code)
        if found is None:
            raise NotFound(f"Client {client.client_code!r} is not known to {service} yet.")
        return found

    return router
