"""Taking turns: one lock per name, held until the transaction ends (PostgreSQL advisory locks).

SQLite needs no lock per name: it has a single writer per database, and a load writes in one
transaction that takes its write lock first (quintet_shared.write_lock).
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
