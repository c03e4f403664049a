"""begin_write: on SQLite a read-decide-write transaction holds the write lock from its start, so
concurrent ones take turns instead of deciding on what another has changed since; a no-op on
PostgreSQL."""

import threading
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from quintet_shared.db import make_engine
from quintet_shared.write_lock import begin_write

WRITERS = 8
ROUNDS = 25


def counter(url: str) -> Engine:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)"))
        conn.execute(text("INSERT INTO counter VALUES (1, 0)"))
    return engine


def increment(engine: Engine, *, locked: bool) -> None:
    """Read n, then write n + 1: correct only if no one writes between the two."""
    with Session(engine) as session:
        if locked:
            begin_write(session)
        n = session.execute(text("SELECT n FROM counter WHERE id = 1")).scalar_one()
        session.execute(text("UPDATE counter SET n = :n WHERE id = 1"), {"n": n + 1})
        session.commit()


def hammer(engine: Engine, *, locked: bool) -> int:
    errors: list[BaseException] = []
    start = threading.Barrier(WRITERS)

    def run() -> None:
        start.wait()
        try:
            for _ in range(ROUNDS):
                increment(engine, locked=locked)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with engine.connect() as conn:
        return conn.execute(text("SELECT n FROM counter")).scalar_one()


def test_sqlite_writers_take_turns_from_the_start(tmp_path: Path) -> None:
    engine = counter(f"sqlite:///{tmp_path / 'turns.db'}")
    try:
        assert hammer(engine, locked=True) == WRITERS * ROUNDS
    finally:
        engine.dispose()


def test_without_it_sqlite_reads_outside_the_write_and_loses_updates(tmp_path: Path) -> None:
    """What begin_write is for: the driver runs a read before the first write outside the transaction."""
    engine = counter(f"sqlite:///{tmp_path / 'lost.db'}")
    try:
        with Session(engine) as first:
            n = first.execute(text("SELECT n FROM counter WHERE id = 1")).scalar_one()
            increment(engine, locked=False)  # another writer commits in between, unhindered
            first.execute(text("UPDATE counter SET n = :n WHERE id = 1"), {"n": n + 1})
            first.commit()
        with engine.connect() as conn:
            assert conn.execute(text("SELECT n FROM counter")).scalar_one() == 1  # one of two increments lost
    finally:
        engine.dispose()


def test_with_it_another_writer_waits_for_the_first(tmp_path: Path) -> None:
    engine = counter(f"sqlite:///{tmp_path / 'waits.db'}")
    impatient = make_engine(f"sqlite:///{tmp_path / 'waits.db'}", sqlite_busy_timeout=0.05)
    try:
        with Session(engine) as first:
            begin_write(first)
            first.execute(text("SELECT n FROM counter WHERE id = 1")).scalar_one()
            with pytest.raises(OperationalError, match="database is locked"):
                increment(impatient, locked=False)
            first.rollback()
        increment(impatient, locked=True)
    finally:
        impatient.dispose()
        engine.dispose()


def test_it_must_come_first(sqlite_url: str) -> None:
    engine = counter(sqlite_url)
    try:
        with Session(engine) as session:
            session.execute(text("UPDATE counter SET n = 1"))
            with pytest.raises(RuntimeError):
                begin_write(session)
    finally:
        engine.dispose()


def test_a_no_op_on_postgresql(postgres_url: str) -> None:
    engine = counter(postgres_url)
    try:
        with Session(engine) as session:
            begin_write(session)
            session.execute(text("UPDATE counter SET n = 1"))
            session.commit()
        with engine.connect() as conn:
            assert conn.execute(text("SELECT n FROM counter")).scalar_one() == 1
    finally:
        engine.dispose()
