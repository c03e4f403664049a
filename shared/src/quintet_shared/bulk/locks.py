"""Taking turns: one lock per name, held until the transaction ends (PostgreSQL advisory locks);
and SQLite's write lock, taken before a load reads what it will write.

SQLite needs no lock per name: it has a single writer per database, and a load writes in one
transaction.
"""

import hashlib

from sqlalchemy import text
from sqlmodel import Session

from quintet_shared.bulk.staging import dialect


def lock_for_transaction(session: Session, name: str) -> None:
    """Wait until no other transaction holds the lock `name` (e.g. "readings.ingest:carrots"), then
    hold it until this one commits or rolls back."""
    if dialect(session) == "postgresql":
        key = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def hold_write_lock(session: Session, table: str) -> None:
    """SQLite: take the database's write lock now, until the transaction ends, by a write that
    changes nothing (to `table`). A transaction that reads the main database first and writes later
    fails at once ("database is locked", no busy wait) when another connection wrote in between;
    one that starts with a write waits for its turn instead, and reads only what is current.
    Staging into temporary tables before this takes no lock. PostgreSQL: nothing to do."""
    if dialect(session) == "sqlite":
        session.execute(text(f"DELETE FROM {table} WHERE 0"))
