"""Transactional outbox: events are written in the caller's transaction and relayed afterwards.

A use case calls `add_event(session, envelope)` beside its own changes; one commit makes both
durable or neither. `OutboxRelay` then publishes unsent rows with publisher confirms and marks only
confirmed rows as sent, so a crash anywhere means a message is sent again, never lost.
"""

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, Integer, any_, bindparam, delete, insert, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import CursorResult, Engine
from sqlmodel import Session

from quintet_shared.bus import Bus, PublishError
from quintet_shared.clock import Clock, system_clock
from quintet_shared.envelope import Envelope, Outgoing
from quintet_shared.metrics import Metrics
from quintet_shared.outbox_notify import OutboxListener
from quintet_shared.tables import outbox_message

log = logging.getLogger(__name__)


def add_event(session: Session, envelope: Envelope) -> Envelope:
    """Queue `envelope` for publishing when (and only if) `session` commits."""
    add_events(session, [envelope])
    return envelope


def add_events(session: Session, envelopes: Sequence[Envelope]) -> None:
    """`add_event` for several envelopes in one statement (one round trip to the database)."""
    if not envelopes:
        return
    rows = [
        {
            "message_id": envelope.id,
            "type": envelope.type,
            "body": envelope.encode().decode(),
            "created_at": envelope.time,
            "attempts": 0,
        }
        for envelope in envelopes
    ]
    # An executemany of one compiled statement: `values(rows)` would be compiled anew for each call.
    session.execute(insert(outbox_message), rows)


def purge_sent(session: Session, *, older_than: datetime) -> int:
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]  # a DELETE yields a cursor result
        delete(outbox_message).where(outbox_message.c.sent_at.is_not(None), outbox_message.c.sent_at < older_than)
    )
    return max(result.rowcount, 0)


class OutboxRelay:
    """Publishes the outbox. On PostgreSQL it is woken by the commit of new rows (LISTEN/NOTIFY,
    quintet_shared.outbox_notify) and polls every `listen_poll_interval` only as a safety net; when
    nothing can wake it (SQLite, or the listening connection down) it polls every `poll_interval`."""

    def __init__(
        self,
        engine: Engine,
        bus: Bus,
        *,
        batch_size: int = 5000,
        poll_interval: float = 0.1,
        listen_poll_interval: float = 5.0,
        concurrent_rounds: int = 3,
        clock: Clock = system_clock,
        metrics: Metrics | None = None,
    ) -> None:
        self.engine = engine
        self.bus = bus
        self.metrics = metrics
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.listen_poll_interval = listen_poll_interval
        self.concurrent_rounds = concurrent_rounds
        self.clock = clock
        self._holds_claim_open = engine.dialect.name != "sqlite"
        self._wake = asyncio.Event()
        self.listener = OutboxListener(engine, self._wake) if engine.dialect.name == "postgresql" else None

    def wake(self) -> None:
        """Publish now rather than at the next poll (for a producer in the same process)."""
        self._wake.set()

    async def relay_once(self) -> int:
        """Publish one batch of unsent rows; returns how many were confirmed."""
        conn, rows = await asyncio.to_thread(self._connect_and_claim)
        try:
            if not rows:
                return 0
            messages = [Outgoing(row.message_id, row.type, row.body.encode()) for row in rows]
            try:
                await self.bus.publish(messages)
            except Exception as exc:
                confirmed = _confirmed_despite(exc, rows)
                # Either commits the claim or rolls it back: its row locks must be gone before the
                # refused rows are counted on another connection.
                if confirmed:
                    await asyncio.to_thread(self._mark_sent, conn, confirmed)
                else:
                    await asyncio.to_thread(conn.rollback)
                marked = set(confirmed)
                refused = [row.id for row in rows if row.id not in marked]
                await asyncio.to_thread(self._count_attempt, refused)
                raise
            await asyncio.to_thread(self._mark_sent, conn, [row.id for row in rows])
            return len(rows)
        finally:
            # Closing rolls back whatever was not committed, which releases the claim's row locks.
            await asyncio.to_thread(conn.close)

    def _connect_and_claim(self) -> tuple[Connection, list]:
        # One thread hop for both: under load every hop costs the relay latency.
        conn = self.engine.connect()
        try:
            return conn, self._claim(conn)
        except BaseException:
            conn.close()
            raise

    async def run(self, stop: asyncio.Event) -> None:
        listening = asyncio.create_task(self.listener.run()) if self.listener is not None else None
        # On PostgreSQL several rounds run at once, so that events committed while one round waits
        # for its confirms go out at once rather than after it (SKIP LOCKED gives each round rows
        # of its own). SQLite releases its claim at once, so there one round at a time.
        rounds = self.concurrent_rounds if self._holds_claim_open else 1
        try:
            await asyncio.gather(*(self._relay_until(stop) for _ in range(rounds)))
        finally:
            if listening is not None:
                listening.cancel()
                await asyncio.gather(listening, return_exceptions=True)

    async def _relay_until(self, stop: asyncio.Event) -> None:
        failures = 0
        while not stop.is_set():
            self._wake.clear()  # a commit from now on wakes the next round
            try:
                sent = await self.relay_once()
                failures = 0
                if self.metrics is not None and sent:
                    self.metrics.published.inc(sent)
            except Exception:
                log.warning("outbox relay could not publish; retrying", exc_info=True)
                sent, failures = 0, failures + 1
            if failures:
                await _sleep_unless(stop, min(self.poll_interval * 2**failures, 5.0))
            elif sent < self.batch_size:
                listening = self.listener is not None and self.listener.listening
                await _sleep_unless(stop, self.listen_poll_interval if listening else self.poll_interval, self._wake)

    def _claim(self, conn: Connection) -> list:
        # On PostgreSQL the rows stay locked (SKIP LOCKED lets other relays take other rows) until
        # they are marked sent. SQLite has one writer per file and no row locks: release at once.
        query = (
            select(outbox_message.c.id, outbox_message.c.message_id, outbox_message.c.type, outbox_message.c.body)
            .where(outbox_message.c.sent_at.is_(None))
            .order_by(outbox_message.c.id)
            .limit(self.batch_size)
            .with_for_update(skip_locked=True)
        )
        rows = list(conn.execute(query))
        if not self._holds_claim_open:
            conn.commit()
        return rows

    def _mark_sent(self, conn: Connection, ids: list[int]) -> None:
        conn.execute(update(outbox_message).where(self._one_of(ids)).values(sent_at=self.clock()))
        conn.commit()

    def _count_attempt(self, ids: list[int]) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(outbox_message).where(self._one_of(ids)).values(attempts=outbox_message.c.attempts + 1))

    def _one_of(self, ids: list[int]) -> ColumnElement[bool]:
        if self.engine.dialect.name == "postgresql":
            # One array parameter: `IN` would send (and render) a parameter per row of a batch of thousands.
            return outbox_message.c.id == any_(bindparam("ids", ids, type_=postgresql.ARRAY(Integer)))
        return outbox_message.c.id.in_(ids)


async def _sleep_unless(stop: asyncio.Event, seconds: float, wake: asyncio.Event | None = None) -> None:
    """Sleep `seconds`, or less if `stop` (or `wake`) is set meanwhile."""
    events = [stop] if wake is None else [stop, wake]
    waiters = [asyncio.create_task(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


def _confirmed_despite(error: Exception, rows: list) -> list[int]:
    """Rows of a failed batch that the broker did confirm. They are marked sent, so that a message it
    keeps refusing (say, one nobody is bound to) does not have the rest of its batch sent again and again."""
    unconfirmed = error.unconfirmed if isinstance(error, PublishError) else None
    if unconfirmed is None:
        return []
    return [row.id for row in rows if row.message_id not in unconfirmed]


def outbox_retention(days: int) -> timedelta:
    return timedelta(days=days)
