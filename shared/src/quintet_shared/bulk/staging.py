"""Temporary staging tables, and loading formatted rows into them as fast as each database takes them.

PostgreSQL takes rows through `COPY` in its text format on the session's own connection (the same
transaction as the landing that follows); SQLite through `executemany`. Temporary tables are this
transaction's: dropped at commit on PostgreSQL, by `drop_temp_tables` on SQLite, whose temporary
tables live as long as the pooled connection (in a database of their own: writing them takes no
lock on the main one).
"""

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

COPY_NULL = "\\N"
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def copy_text(value: str) -> str:
    """A text value as one field of a COPY text row (its tab, line-end and backslash escaped). The
    usual value has none of them: four searches cost a tenth of one `translate`."""
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.translate(_COPY_ESCAPES)
    return value


def create_temp_table(session: Session, name: str, columns: str, *, kept: bool = False) -> None:
    """A temporary table of this transaction, empty, with `columns` (SQL column definitions).
    `kept`: it outlives the commit, for the life of the connection, for a load that stages a whole
    file and then lands it in several transactions (on a session bound to one connection); the load
    drops it with `drop_temp_tables(..., kept=True)`."""
    session.execute(text(f"DROP TABLE IF EXISTS {name}"))
    suffix = " ON COMMIT DROP" if dialect(session) == "postgresql" and not kept else ""
    session.execute(text(f"CREATE TEMP TABLE {name} ({columns}){suffix}"))


def drop_temp_tables(session: Session, names: Iterable[str], *, kept: bool = False) -> None:
    """SQLite keeps temporary tables with its pooled connection; PostgreSQL drops them at commit,
    unless they were created `kept`."""
    if dialect(session) == "sqlite" or kept:
        for name in names:
            session.execute(text(f"DROP TABLE IF EXISTS {name}"))


def copy_rows(session: Session, table: str, columns: str, rows: str | Sequence[Sequence[Any]]) -> None:
    """Append `rows` to `table` (`columns` comma-separated names): COPY text rows, each ending in a
    newline (`copy_text`, `COPY_NULL`), on PostgreSQL; parameter tuples on SQLite."""
    driver: Any = session.connection().connection.driver_connection
    if dialect(session) == "postgresql":
        # COPY is not reachable through the ORM: the raw psycopg connection of the same transaction.
        with driver.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            copy.write(rows)
    else:
        marks = ", ".join("?" * len(columns.split(",")))
        driver.cursor().executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)
