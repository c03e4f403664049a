"""A transaction that will write takes SQLite's write lock at its start.

SQLite has one writer per database file, and Python's driver begins a transaction only at the first
INSERT, UPDATE or DELETE: the reads before it run outside any transaction, so what they saw may have
changed by the time the write is made (two requests both read "one unit left"). Had the reads begun a
deferred transaction instead (the driver's `autocommit=False`), the first write would find its
snapshot stale and fail at once ("database is locked", SQLITE_BUSY_SNAPSHOT), without waiting out
the busy timeout. `begin_write` starts the transaction with `BEGIN IMMEDIATE`, which waits (up to the
busy timeout, db.py) for the write lock before anything is read: concurrent writers take turns, and
every read of the transaction sees the state its writes are decided on.

A bulk load stages its rows into temporary tables first, which already begins the transaction;
`hold_write_lock` then takes the lock by a write that changes nothing, with the same effect.

PostgreSQL needs nothing: its writers lock rows, not the database; it is a no-op there.
"""

from sqlalchemy import text
from sqlmodel import Session


def begin_write(session: Session) -> None:
    """Call first, before the session has read or written anything in this transaction."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return
    if connection.connection.driver_connection.in_transaction:  # type: ignore[union-attr]
        raise RuntimeError("begin_write must start the transaction; this session has written already")
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def hold_write_lock(session: Session, table: str) -> None:
    """SQLite: take the write lock now, until the transaction ends, by a write to `table` that
    changes nothing; for a transaction that has only written temporary tables so far (staging)."""
    if session.connection().dialect.name == "sqlite":
        session.execute(text(f"DELETE FROM {table} WHERE 0"))
