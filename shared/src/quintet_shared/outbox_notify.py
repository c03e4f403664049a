"""Waking the outbox relay on commit: PostgreSQL's LISTEN/NOTIFY.

A statement trigger on `outbox_message` calls `pg_notify` after every insert; PostgreSQL delivers the
notification when (and only if) the inserting transaction commits, and folds a transaction's
notifications into one. The relay listens on a dedicated connection and publishes at once, instead
of finding the rows at its next poll. The poll stays, as the fallback when nobody listens (SQLite,
or while the listening connection is being re-established).

The trigger comes with the table (quintet_shared.tables: `create_kit_tables`, `create_all`) and is
ensured by every component's migrations (`ensure_notify_trigger`, called by `run_env`), so that
databases migrated before it existed get it too.
"""

import asyncio
import logging

import psycopg
from sqlalchemy import Connection, text
from sqlalchemy.engine import Engine

from quintet_shared.tables import OUTBOX_CHANNEL, outbox_notify_function, outbox_notify_trigger

log = logging.getLogger(__name__)


def ensure_notify_trigger(connection: Connection) -> None:
    """Create the trigger where the outbox exists without it (idempotent; PostgreSQL only)."""
    if connection.dialect.name != "postgresql":
        return
    if connection.execute(text("SELECT to_regclass('outbox_message')")).scalar() is None:
        return
    exists = text(
        "SELECT 1 FROM pg_trigger WHERE tgname = 'outbox_message_notify' AND tgrelid = 'outbox_message'::regclass"
    )
    if connection.execute(exists).first() is None:
        connection.execute(outbox_notify_function)
        connection.execute(outbox_notify_trigger)


class OutboxListener:
    """LISTENs on its own connection and sets `wake` on every notification (and on each (re)connect,
    so that rows committed while nobody listened are not left to the poll)."""

    def __init__(self, engine: Engine, wake: asyncio.Event, *, reconnect_interval: float = 1.0) -> None:
        self.conninfo = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self.wake = wake
        self.reconnect_interval = reconnect_interval
        self.listening = False

    async def run(self) -> None:
        """Until cancelled."""
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True) as conn:
                    await conn.execute(f"LISTEN {OUTBOX_CHANNEL}")
                    self.listening = True
                    self.wake.set()
                    async for _notification in conn.notifies():
                        self.wake.set()
            except (psycopg.Error, OSError):
                log.warning("outbox listener lost its connection; polling until it is back", exc_info=True)
            finally:
                self.listening = False
            await asyncio.sleep(self.reconnect_interval)
