"""Idempotent consumers: a handler's effect and its inbox row commit together, once per message."""

import asyncio
from collections.abc import Callable, Mapping
from uuid import UUID

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlmodel import Session

from quintet_shared.bus import Handler
from quintet_shared.clock import Clock, system_clock
from quintet_shared.db import session_scope
from quintet_shared.envelope import Envelope
from quintet_shared.tables import inbox_message

EventHandler = Callable[[Session, Envelope], None]


def claim_message(session: Session, *, consumer: str, message_id: UUID, clock: Clock = system_clock) -> bool:
    """Record that `consumer` handles `message_id`; False when it already has (a duplicate).

    On PostgreSQL a concurrent duplicate waits on the first one's row and then sees the conflict.
    """
    dialect_insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    # RETURNING, not rowcount: SQLAlchemy does not keep an INSERT's rowcount on psycopg (it reads -1),
    # which made every first delivery look like a duplicate on PostgreSQL.
    statement = (
        dialect_insert(inbox_message)
        .values(consumer=consumer, message_id=message_id, processed_at=clock())
        .on_conflict_do_nothing(index_elements=["consumer", "message_id"])
        .returning(inbox_message.c.message_id)
    )
    return session.execute(statement).first() is not None


def idempotent_handler(
    engine: Engine,
    *,
    consumer: str,
    handlers: Mapping[str, EventHandler],
    clock: Clock = system_clock,
) -> Handler:
    """A bus handler that runs `handlers[event.type]` once per message, in one transaction with its
    inbox row. Events of other types are acked and ignored; an exception rolls everything back and
    the bus redelivers."""

    def run(envelope: Envelope, handler: EventHandler) -> None:
        with session_scope(engine) as session:
            if claim_message(session, consumer=consumer, message_id=envelope.id, clock=clock):
                handler(session, envelope)

    async def handle(envelope: Envelope) -> None:
        handler = handlers.get(envelope.type)
        if handler is not None:
            await asyncio.to_thread(run, envelope, handler)

    return handle
