"""A load that stages a file once and lands it in several transactions, on SQLite and PostgreSQL:
its staging table outlives each commit (`create_temp_table(kept=True)`) until it drops it, and its
lock (`lock_across_transactions`) is held across the commits, then let go."""

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from quintet_shared.bulk import copy_rows, create_temp_table, dialect, drop_temp_tables, lock_across_transactions
from quintet_shared.bulk.locks import _key

TEMP_TABLES = {
    "postgresql": "SELECT count(*) FROM pg_class WHERE relname = 'staged' AND relpersistence = 't'",
    "sqlite": "SELECT count(*) FROM sqlite_temp_master WHERE name = 'staged'",
}


def test_a_kept_staging_table_lives_across_commits_until_dropped(engine: Engine) -> None:
    with engine.connect() as connection, Session(bind=connection) as session:
        create_temp_table(session, "staged", "line integer NOT NULL, word text NOT NULL", kept=True)
        rows = "1\tone\n2\ttwo\n" if dialect(session) == "postgresql" else [(1, "one"), (2, "two")]
        copy_rows(session, "staged", "line, word", rows)
        session.commit()
        for line, word in ((1, "one"), (2, "two")):  # a transaction per chunk, each reading the staged rows
            assert session.execute(text("SELECT word FROM staged WHERE line = :l"), {"l": line}).scalar_one() == word
            session.commit()
        drop_temp_tables(session, ["staged"], kept=True)
        session.commit()
        assert session.execute(text(TEMP_TABLES[dialect(session)])).scalar_one() == 0


def test_a_staging_table_not_kept_is_dropped_at_commit_on_postgresql(engine: Engine) -> None:
    with engine.connect() as connection, Session(bind=connection) as session:
        create_temp_table(session, "staged", "line integer")
        session.commit()
        left = session.execute(text(TEMP_TABLES[dialect(session)])).scalar_one()
        assert left == (0 if dialect(session) == "postgresql" else 1)  # SQLite: drop_temp_tables drops it
        drop_temp_tables(session, ["staged"])
        session.commit()


def test_the_lock_is_held_across_commits_and_let_go_at_the_end(engine: Engine) -> None:
    postgres = engine.dialect.name == "postgresql"
    with engine.connect() as connection, Session(bind=connection) as session:
        with lock_across_transactions(session, "test.load:a"):
            for _ in range(2):
                session.execute(text("SELECT 1"))
                session.commit()
                assert _held_elsewhere(engine, "test.load:a") is postgres  # SQLite: one writer, no lock
            assert not _held_elsewhere(engine, "test.load:b")
        assert not _held_elsewhere(engine, "test.load:a")


def _held_elsewhere(engine: Engine, name: str) -> bool:
    """Whether another connection is refused the lock `name` (taken for a moment if it is free)."""
    if engine.dialect.name != "postgresql":
        return False
    with engine.connect() as other:
        got = other.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": _key(name)}).scalar()
        other.rollback()
    return not got
