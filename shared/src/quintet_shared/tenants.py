"""Every service's copy of the client registry, kept current by the gateway's client events.

A service learns of a client (tenant) from `gateway.client.registered` / `gateway.client.updated`
and keeps its row, so that per-client settings can hang off it and the service can answer without
calling the gateway.
"""

from datetime import datetime

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
from quintet_shared.inbox import EventHandler
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


def remember_client(session: Session, envelope: Envelope) -> None:
    data = ClientEventData.model_validate(envelope.data)
    values = {"name": data.name, "services": data.services, "active": int(data.active), "updated_at": envelope.time}
    dialect_insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = dialect_insert(tenant).values(code=data.code, registered_at=envelope.time, **values)
    # Events may arrive out of order: an older event never overwrites a newer one.
    statement = statement.on_conflict_do_update(
        index_elements=["code"], set_=values, where=tenant.c.updated_at <= envelope.time
    )
    session.execute(statement)


TENANT_HANDLERS: dict[str, EventHandler] = {CLIENT_REGISTERED: remember_client, CLIENT_UPDATED: remember_client}


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
