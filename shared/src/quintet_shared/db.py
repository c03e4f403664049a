"""Engines, sessions and the metadata conventions every component's database follows."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import registry
from sqlmodel import Session, SQLModel, create_engine

# Deterministic constraint names, so that migrations can drop and alter them on both databases.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING_CONVENTION)


def new_registry() -> registry:
    """A registry of one component's own: in embedded mode several components share a process, and
    each must see only its own tables (for migrations and `create_all`)."""
    return registry(metadata=new_metadata())


def model_base(name: str) -> type[SQLModel]:
    """The SQLModel base class of one component's tables: `class ReadingsModel(model_base(...))`."""
    return type(name, (SQLModel,), {}, registry=new_registry())


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


# How long a SQLite write waits for another connection's write lock before "database is locked",
# which the API answers with 503 and Retry-After (busy.py). Long enough to outlast the usual holder:
# ingestion takes the lock only for its final insert (about a second per 200,000 readings, see
# readings' ingestion/usecase.py), an upload's copy into the database 1.4 s per 100 MB (measured),
# so about 3 s for the largest upload readings accepts.
# Short enough that a caller queued behind something longer hears "try again" in seconds instead
# of hanging for half a minute, and that a worker's thread is not held that long either.
SQLITE_BUSY_TIMEOUT_SECONDS = 5.0


def make_engine(url: str, *, sqlite_busy_timeout: float = SQLITE_BUSY_TIMEOUT_SECONDS, **kwargs: Any) -> Engine:
    """An engine for SQLite (WAL, busy timeout, foreign keys) or PostgreSQL (psycopg 3)."""
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        connect_args = {"check_same_thread": False, "timeout": sqlite_busy_timeout}
        engine = create_engine(url, connect_args=connect_args, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    if "poolclass" not in kwargs:  # sizes apply to the default QueuePool only (NullPool refuses them)
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 20)
    return create_engine(url, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One unit of work: commits once at the end, rolls back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
