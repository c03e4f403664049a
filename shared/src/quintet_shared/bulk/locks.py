"""Taking turns: one lock per name, held until the transaction ends (PostgreSQL advisory locks).

SQLite needs no lock per name: it has a single writer per database, and a load writes in one
transaction that takes its write lock first (quintet_shared.write_lock).
"""

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlmodel import Session

from quintet_shared.bulk.staging import dialect


def _key(name: str) -> int:
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)


def lock_for_transaction(session: Session, name: str) -> None:
    """Wait until no other transaction holds the lock `name` (e.g. "readings.ingest:carrots"), then
    hold it until this one commits or rolls back."""
    if dialect(session) == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _key(name)})


@contextmanager
def lock_across_transactions(session: Session, name: str) -> Iterator[None]:
    """The same lock `name`, held until the context ends, across the commits of a load that lands in
    several transactions. The session must stay on one connection (bound to a Connection): the lock
    is that connection's. Taking it commits the session's transaction so far."""
    postgres = dialect(session) == "postgresql"
    if postgres:
        session.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _key(name)})
        session.commit()
    try:
        yield
    finally:
        if postgres:
            session.rollback()  # a failed statement must not keep the unlock from running
            session.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _key(name)})
            session.commit()
