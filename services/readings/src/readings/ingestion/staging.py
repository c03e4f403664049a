"""The staging tables: every parsed reading lands here first, streamed as it is parsed.

Two temporary tables of this transaction: `ingest_row` holds what varies per reading, and
`ingest_group` one row per run of readings of the same supply point and meter (see stager.py), so
the identifiers are written and joined once per run, not once per reading. PostgreSQL gets the
rows through `COPY` on the session's own connection (the server stores rows while Python parses
the next ones) and the groups, which must wait for that stream to end, from a spooled file; SQLite
gets batched `executemany`. No index: loading stays at bare-COPY speed.
"""

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any, Protocol

from sqlalchemy import text
from sqlmodel import Session

from readings.formats.base import ParsedReading
from readings.ingestion.rows import CopyFormatter, SqliteFormatter

ROWS = "ingest_row"
GROUPS = "ingest_group"
ROW_COLUMNS = "seq, line, grp, read_at, value, interval_minutes, time_code, method"
GROUP_COLUMNS = "grp, first_seq, identifier, serial, manufacturer, kind"
_TYPES = {
    # seq orders the rows as parsed (a JSON line may hold several readings); line is for reports.
    # A group's supply point and meter ids, and whether its supply point is new, come later.
    "postgresql": (
        "seq bigint NOT NULL, line integer NOT NULL, grp integer NOT NULL, read_at timestamptz NOT NULL, "
        "value numeric NOT NULL, interval_minutes integer, time_code integer, method text",
        "grp integer NOT NULL, first_seq bigint NOT NULL, identifier text NOT NULL, serial text, "
        "manufacturer text, kind text, expected text, supply_point_id integer, meter_id integer, fresh boolean",
    ),
    "sqlite": (
        "seq INTEGER NOT NULL, line INTEGER NOT NULL, grp INTEGER NOT NULL, read_at TEXT NOT NULL, "
        "value NUMERIC NOT NULL, interval_minutes INTEGER, time_code INTEGER, method TEXT",
        "grp INTEGER NOT NULL, first_seq INTEGER NOT NULL, identifier TEXT NOT NULL, serial TEXT, "
        "manufacturer TEXT, kind TEXT, expected TEXT, supply_point_id INTEGER, meter_id INTEGER, fresh BOOLEAN",
    ),
}
SQLITE_BATCH = 5000
COPY_BATCH = 2000  # rows joined into one write: one call per row would cost more than the row
_SPOOL_MEMORY = 4 << 20  # group rows beyond this go to a temporary file


class StagingSink(Protocol):
    def reading(self, seq: int, grp: int, reading: ParsedReading, value: str) -> None: ...

    def group(self, grp: int, first_seq: int, reading: ParsedReading) -> None: ...


def create_temp_table(session: Session, name: str, columns: str) -> None:
    """A temporary table of this transaction (dropped at commit on PostgreSQL, by `drop_temp` on
    SQLite, whose temporary tables live as long as the pooled connection)."""
    session.execute(text(f"DROP TABLE IF EXISTS {name}"))
    suffix = " ON COMMIT DROP" if dialect(session) == "postgresql" else ""
    session.execute(text(f"CREATE TEMP TABLE {name} ({columns}){suffix}"))


def dialect(session: Session) -> str:
    return session.get_bind().dialect.name


@contextmanager
def staging_sink(session: Session) -> Iterator[StagingSink]:
    row_types, group_types = _TYPES[dialect(session)]
    create_temp_table(session, ROWS, row_types)
    create_temp_table(session, GROUPS, group_types)
    if dialect(session) == "postgresql":
        with _copy_sink(session) as copy_sink:
            yield copy_sink
    else:
        batch_sink = _SqliteSink(session)
        yield batch_sink
        batch_sink.flush()


class _CopySink:
    def __init__(self, copy: Any, groups: IO[str]) -> None:
        self.copy = copy
        self.groups = groups
        self.format = CopyFormatter()
        self.pending: list[str] = []

    def reading(self, seq: int, grp: int, reading: ParsedReading, value: str) -> None:
        self.pending.append(self.format.reading(seq, grp, reading, value))
        if len(self.pending) >= COPY_BATCH:
            self.flush()

    def group(self, grp: int, first_seq: int, reading: ParsedReading) -> None:
        self.groups.write(self.format.group(grp, first_seq, reading))

    def flush(self) -> None:
        if self.pending:
            self.copy.write("".join(self.pending))
            self.pending.clear()


@contextmanager
def _copy_sink(session: Session) -> Iterator[_CopySink]:
    # The raw psycopg connection of the session's transaction: COPY is not reachable through the ORM.
    driver = session.connection().connection.driver_connection
    assert driver is not None
    with (
        tempfile.SpooledTemporaryFile(_SPOOL_MEMORY, mode="w+", encoding="utf-8") as groups,
        driver.cursor() as cursor,
    ):
        with cursor.copy(f"COPY {ROWS} ({ROW_COLUMNS}) FROM STDIN") as copy:
            sink = _CopySink(copy, groups)
            yield sink
            sink.flush()
        groups.seek(0)
        with cursor.copy(f"COPY {GROUPS} ({GROUP_COLUMNS}) FROM STDIN") as copy:
            while block := groups.read(1 << 20):
                copy.write(block)


class _SqliteSink:
    def __init__(self, session: Session) -> None:
        self.cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
        self.format = SqliteFormatter()
        self.pending: list[tuple[object, ...]] = []
        self.rows_sql = f"INSERT INTO {ROWS} ({ROW_COLUMNS}) VALUES ({', '.join('?' * 8)})"
        self.groups_sql = f"INSERT INTO {GROUPS} ({GROUP_COLUMNS}) VALUES ({', '.join('?' * 6)})"

    def reading(self, seq: int, grp: int, reading: ParsedReading, value: str) -> None:
        self.pending.append(self.format.reading(seq, grp, reading, value))
        if len(self.pending) >= SQLITE_BATCH:
            self.flush()

    def group(self, grp: int, first_seq: int, reading: ParsedReading) -> None:
        self.cursor.execute(self.groups_sql, self.format.group(grp, first_seq, reading))

    def flush(self) -> None:
        if self.pending:
            self.cursor.executemany(self.rows_sql, self.pending)
            self.pending.clear()
