"""The staging table: every parsed reading lands here first, streamed as it is parsed.

PostgreSQL gets the rows through `COPY` on the session's own connection (same transaction), so the
server stores rows while Python parses the next ones; SQLite gets batched `executemany`. The table
is temporary, has no index (loading stays at bare-COPY speed) and is dropped with the transaction.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from sqlalchemy import text
from sqlmodel import Session

from readings.formats.base import ParsedReading
from readings.ingestion.rows import CopyFormatter, SqliteFormatter

STAGING = "ingest_staging"
COLUMNS = "seq, line, identifier, serial, manufacturer, kind, read_at, value, interval_minutes, time_code, method"
_TYPES = {
    # seq orders the rows as parsed (a JSON line may hold several readings); line is for reports
    "postgresql": (
        "seq bigint NOT NULL, line integer NOT NULL, identifier text NOT NULL, serial text, manufacturer text, "
        "kind text, read_at timestamptz NOT NULL, value numeric NOT NULL, interval_minutes integer, "
        "time_code integer, method text"
    ),
    "sqlite": (
        "seq INTEGER NOT NULL, line INTEGER NOT NULL, identifier TEXT NOT NULL, serial TEXT, manufacturer TEXT, "
        "kind TEXT, read_at TEXT NOT NULL, value NUMERIC NOT NULL, interval_minutes INTEGER, "
        "time_code INTEGER, method TEXT"
    ),
}
SQLITE_BATCH = 5000
COPY_BATCH = 2000  # rows joined into one write: one call per row would cost more than the row


class StagingWriter(Protocol):
    def write(self, seq: int, reading: ParsedReading, value: str) -> None: ...


def create_temp_table(session: Session, name: str, columns: str) -> None:
    """A temporary table of this transaction (dropped at commit on PostgreSQL, by `drop_temp` on
    SQLite, whose temporary tables live as long as the pooled connection)."""
    session.execute(text(f"DROP TABLE IF EXISTS {name}"))
    suffix = " ON COMMIT DROP" if dialect(session) == "postgresql" else ""
    session.execute(text(f"CREATE TEMP TABLE {name} ({columns}){suffix}"))


def dialect(session: Session) -> str:
    return session.get_bind().dialect.name


@contextmanager
def staging_writer(session: Session) -> Iterator[StagingWriter]:
    create_temp_table(session, STAGING, _TYPES[dialect(session)])
    if dialect(session) == "postgresql":
        with _copy_writer(session) as copy_writer:
            yield copy_writer
    else:
        batch_writer = _SqliteWriter(session)
        yield batch_writer
        batch_writer.flush()


class _CopyWriter:
    def __init__(self, copy: Any) -> None:
        self.copy = copy
        self.format = CopyFormatter()
        self.pending: list[str] = []

    def write(self, seq: int, reading: ParsedReading, value: str) -> None:
        self.pending.append(self.format.line(seq, reading, value))
        if len(self.pending) >= COPY_BATCH:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.copy.write("".join(self.pending))
            self.pending.clear()


@contextmanager
def _copy_writer(session: Session) -> Iterator[_CopyWriter]:
    # The raw psycopg connection of the session's transaction: COPY is not reachable through the ORM.
    driver = session.connection().connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor, cursor.copy(f"COPY {STAGING} ({COLUMNS}) FROM STDIN") as copy:
        writer = _CopyWriter(copy)
        yield writer
        writer.flush()


class _SqliteWriter:
    def __init__(self, session: Session) -> None:
        self.cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
        self.format = SqliteFormatter()
        self.pending: list[tuple[object, ...]] = []
        self.sql = f"INSERT INTO {STAGING} ({COLUMNS}) VALUES ({', '.join('?' * 11)})"

    def write(self, seq: int, reading: ParsedReading, value: str) -> None:
        self.pending.append(self.format.row(seq, reading, value))
        if len(self.pending) >= SQLITE_BATCH:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.cursor.executemany(self.sql, self.pending)
            self.pending.clear()
