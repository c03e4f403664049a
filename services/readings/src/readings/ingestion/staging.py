"""The staging tables, and loading one chunk of formatted rows into them.

Temporary tables of this transaction: `ingest_row` holds what varies per reading, and there is one
group per run of readings of the same supply point and meter (see stager.py), so identifiers are
written and joined once per run, not once per reading. A chunk's groups arrive in
`ingest_chunk_group` and, once resolved to ids, move to `ingest_group`. PostgreSQL gets each chunk
through `COPY`, SQLite through `executemany` (the kit's quintet_shared.bulk.copy_rows). The rows table has no
index, so loading stays at bare-COPY speed: a chunk's rows are found by position (`chunk_rows`).
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from quintet_shared.bulk import copy_rows, create_temp_table, dialect, drop_temp_tables
from readings.ingestion.rows import CopyFormatter, SqliteFormatter

ROWS = "ingest_row"
GROUPS = "ingest_group"
CHUNK_GROUPS = "ingest_chunk_group"
ERRORS = "ingest_error"
SPLIT = "ingest_split_row"  # made by resolve.find_repeats, only for files that revisit a meter
ROW_COLUMNS = "seq, line, grp, read_at, value, interval_minutes, time_code, method"
GROUP_COLUMNS = "grp, first_seq, identifier, serial, manufacturer, kind, revisit"
_TYPES = {
    # seq orders the rows as parsed (a JSON line may hold several readings); line is for reports.
    "postgresql": (
        "seq bigint NOT NULL, line integer NOT NULL, grp integer NOT NULL, read_at timestamptz NOT NULL, "
        "value numeric NOT NULL, interval_minutes integer, time_code integer, method text",
        "grp integer NOT NULL, first_seq bigint NOT NULL, identifier text NOT NULL, serial text, "
        "manufacturer text, kind text, revisit boolean NOT NULL",
    ),
    "sqlite": (
        # seq as the rowid: SQLite finds a chunk's rows by a range of it
        "seq INTEGER PRIMARY KEY, line INTEGER NOT NULL, grp INTEGER NOT NULL, read_at TEXT NOT NULL, "
        "value NUMERIC NOT NULL, interval_minutes INTEGER, time_code INTEGER, method TEXT",
        "grp INTEGER NOT NULL, first_seq INTEGER NOT NULL, identifier TEXT NOT NULL, serial TEXT, "
        "manufacturer TEXT, kind TEXT, revisit BOOLEAN NOT NULL",
    ),
}
# A resolved group: its supply point and meter, the meter's kind, and how its rows may land.
_RESOLVED = (
    "grp integer NOT NULL, identifier text NOT NULL, serial text, kind text, expected text, "
    "supply_point_id integer NOT NULL, meter_id integer, revisit boolean NOT NULL, fresh boolean NOT NULL, "
    "good boolean NOT NULL"
)
_ERROR_COLUMNS = "seq bigint NOT NULL, line integer NOT NULL, message text NOT NULL"


@dataclass
class Chunk:
    """Consecutive staged readings, formatted for the database, and the groups they open."""

    rows: Any  # COPY text (PostgreSQL) or a list of parameter tuples (SQLite)
    groups: Any
    after_seq: int  # its rows are seq after_seq + 1 ... in file order
    first_grp: int  # the group of its first row: the last chunk's last group, or a new one


def formatter_for(session: Session) -> CopyFormatter | SqliteFormatter:
    return CopyFormatter() if dialect(session) == "postgresql" else SqliteFormatter()


def create_staging(session: Session) -> None:
    row_types, group_types = _TYPES[dialect(session)]
    create_temp_table(session, ROWS, row_types)
    create_temp_table(session, CHUNK_GROUPS, group_types)
    create_temp_table(session, GROUPS, _RESOLVED)
    create_temp_table(session, ERRORS, _ERROR_COLUMNS)
    session.execute(text(f"CREATE INDEX ix_{GROUPS}_grp ON {GROUPS} (grp)"))


def load(session: Session, chunk: Chunk, *, keep_earlier_groups: bool = False) -> dict[str, object]:
    """Append the chunk's rows to staging and put its groups in CHUNK_GROUPS, in place of the last
    chunk's (or beside them, when the whole file is staged before it lands); returns the parameters
    that `chunk_rows` needs to find the rows."""
    position: dict[str, object] = {"after_seq": chunk.after_seq}
    if not keep_earlier_groups:
        # TRUNCATE on PostgreSQL: deleted rows would stay behind in the table until commit
        empty = "TRUNCATE" if dialect(session) == "postgresql" else "DELETE FROM"
        session.execute(text(f"{empty} {CHUNK_GROUPS}"))
    if dialect(session) == "postgresql":
        size = f"SELECT pg_relation_size('{ROWS}') / current_setting('block_size')::int"
        blocks = int(session.execute(text(size)).scalar_one())
        # Rows are only ever appended: the chunk starts in the last page of the ones before.
        position["start"] = f"({max(blocks - 1, 0)},0)"
    copy_rows(session, ROWS, ROW_COLUMNS, chunk.rows)
    copy_rows(session, CHUNK_GROUPS, GROUP_COLUMNS, chunk.groups)
    return position


def chunk_rows(session: Session) -> str:
    """The condition on `s` (a staged row) that selects the chunk just loaded, without a scan of
    the rows before it: a TID range scan on PostgreSQL, a rowid range on SQLite."""
    if dialect(session) == "postgresql":
        return "s.ctid >= CAST(:start AS tid) AND s.seq > :after_seq"
    return "s.seq > :after_seq"


def drop_staging(session: Session) -> None:
    drop_temp_tables(session, (ROWS, CHUNK_GROUPS, GROUPS, ERRORS, SPLIT))
