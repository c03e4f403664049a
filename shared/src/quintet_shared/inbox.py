"""Idempotent consumers: a batch's effects and its inbox rows commit together, once per message."""

import asyncio
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlmodel import Session

from quintet_shared.bus import BatchHandler
from quintet_shared.clock import Clock, system_clock
from quintet_shared.db import session_scope
from quintet_shared.envelope import Envelope
from quintet_shared.tables import inbox_message


@dataclass(frozen=True)
class BatchEventHandler:
    """An event handler that takes the new events of a batch together, in delivery order (say, to
    write them with one statement); consecutive events for the same handler go in one call."""

    handle: Callable[[Session, Sequence[Envelope]], None]


EventHandler = Callable[[Session, Envelope], None] | BatchEventHandler


def claim_messages(
    session: Session, *, consumer: str, message_ids: Collection[UUID], clock: Clock = system_clock
) -> set[UUID]:
    """Record that `consumer` handles `message_ids`; returns those it had not handled before.

    One statement for the lot. On PostgreSQL a concurrent duplicate waits on the first one's row and
    then sees the conflict; ids go in sorted, so two overlapping batches lock rows in the same order.
    """
    if not message_ids:
        return set()
    dialect_insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    now = clock()
    rows = [{"consumer": consumer, "message_id": message_id, "processed_at": now} for message_id in sorted(message_ids)]
    # RETURNING, not rowcount: SQLAlchemy does not keep an INSERT's rowcount on psycopg (it reads -1),
    # which made every first delivery look like a duplicate on PostgreSQL.
    statement = (
        dialect_insert(inbox_message)
        .on_conflict_do_nothing(index_elements=["consumer", "message_id"])
        .returning(inbox_message.c.message_id)
    )
    # The rows as executemany parameters, not `.values(rows)`: SQLAlchemy sends them in multi-row
    # INSERTs all the same, but compiles the statement once; `.values` compiled it again for every
    # batch (a third of a batch's CPU).
    return set(session.execute(statement, rows).scalars())


def idempotent_handler(
    engine: Engine,
    *,
    consumer: str,
    handlers: Mapping[str, EventHandler],
    clock: Clock = system_clock,
) -> BatchHandler:
    """A bus batch handler that runs `handlers[event.type]` once per message, all of a batch in one
    transaction with its inbox rows (one thread hop and one commit per batch, not per message).

    Events of other types are acked and ignored, and so is a message already handled (a redelivery,
    or the same message twice in one batch). An exception rolls the whole batch back; the bus then
    hands each message over again alone, so only the one that keeps failing is redelivered."""

    def run(envelopes: list[Envelope]) -> None:
        with session_scope(engine) as session:
            fresh = claim_messages(session, consumer=consumer, message_ids={e.id for e in envelopes}, clock=clock)
            new: list[Envelope] = []
            for envelope in envelopes:
                if envelope.id in fresh:
                    fresh.discard(envelope.id)  # a second copy in the same batch is a duplicate
                    new.append(envelope)
            apply_in_order(session, new, handlers)

    async def handle(batch: Sequence[Envelope]) -> None:
        wanted = [envelope for envelope in batch if envelope.type in handlers]
        if wanted:
            await asyncio.to_thread(run, wanted)

    return handle


def apply_in_order(session: Session, envelopes: Sequence[Envelope], handlers: Mapping[str, EventHandler]) -> None:
    """Each envelope's handler, in order; a run of envelopes for one batch handler in a single call."""
    run: list[Envelope] = []
    run_handler: BatchEventHandler | None = None
    for envelope in envelopes:
        handler = handlers[envelope.type]
        if run and handler != run_handler:
            assert run_handler is not None
            run_handler.handle(session, run)
            run = []
        if isinstance(handler, BatchEventHandler):
            run_handler = handler
            run.append(envelope)
        else:
            run_handler = None
            handler(session, envelope)
    if run and run_handler is not None:
        run_handler.handle(session, run)
