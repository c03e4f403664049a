"""`INSERT ... ON CONFLICT` in the dialect of the session's database (PostgreSQL or SQLite)."""

from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session


def insert_for(session: Session, table: Any) -> Any:
    """An INSERT on `table` with `on_conflict_do_nothing`/`on_conflict_do_update` for the session's
    database: both dialects spell them alike, so callers write one statement for both."""
    dialect_insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    return dialect_insert(table)
