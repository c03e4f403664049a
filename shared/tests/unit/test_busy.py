"""Which database errors mean "busy, try again" (503, a warning) and which do not (500, an error)."""

import logging
import sqlite3

import psycopg
import pytest
from psycopg import errors as pg
from sqlalchemy import exc as sa_exc

from quintet_shared.busy import failure_level, is_busy


def wrapped(orig: Exception) -> sa_exc.DBAPIError:
    base = sqlite3.Error if isinstance(orig, sqlite3.Error) else psycopg.Error
    wrapper = sa_exc.DBAPIError.instance("SELECT 1", {}, orig, base)
    assert isinstance(wrapper, sa_exc.DBAPIError) or not isinstance(orig, base)
    return wrapper  # type: ignore[return-value]


@pytest.mark.parametrize(
    "error",
    [
        sqlite3.OperationalError("database is locked"),
        sqlite3.OperationalError("database table is locked: reading"),
        pg.LockNotAvailable("canceling statement due to lock timeout"),
        pg.SerializationFailure("could not serialize access"),
        pg.DeadlockDetected("deadlock detected"),
        pg.TooManyConnections("sorry, too many clients already"),
        pg.CannotConnectNow("the database system is starting up"),
        pg.AdminShutdown("terminating connection due to administrator command"),
        psycopg.OperationalError("connection failed: Connection refused"),
        sa_exc.TimeoutError("QueuePool limit of size 10 overflow 20 reached"),
    ],
)
def test_a_busy_database_is_busy_raw_or_wrapped(error: Exception) -> None:
    assert is_busy(error)
    assert failure_level(error) == logging.WARNING
    if not isinstance(error, sa_exc.TimeoutError):
        assert is_busy(wrapped(error))


@pytest.mark.parametrize(
    "error",
    [
        sqlite3.OperationalError("no such table: reading"),
        pg.UndefinedTable("relation does not exist"),
        pg.SyntaxError("syntax error"),
        pg.UniqueViolation("duplicate key"),
        ValueError("database is locked"),  # not a database error at all
    ],
)
def test_other_errors_are_not_busy(error: Exception) -> None:
    assert not is_busy(error)
    assert not is_busy(wrapped(error))
    assert failure_level(error) == logging.ERROR


def test_a_real_sqlite_lock_is_busy(tmp_path) -> None:
    path = tmp_path / "busy.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN IMMEDIATE")
    waiter = sqlite3.connect(path, timeout=0.05)
    with pytest.raises(sqlite3.OperationalError) as raised:
        waiter.execute("INSERT INTO t VALUES (1)")
    assert is_busy(raised.value)
    holder.rollback()


async def test_defect_4_a_consumer_meeting_a_busy_database_is_redelivered_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from quintet_shared.bus.memory import InMemoryBus
    from quintet_shared.envelope import Envelope
    from quintet_shared.testing.bus_harness import eventually

    handled: list[Envelope] = []
    failures = [sqlite3.OperationalError("database is locked"), ValueError("a bug")]

    async def handler(envelope: Envelope) -> None:
        if failures:
            raise failures.pop(0)
        handled.append(envelope)

    bus = InMemoryBus(namespace="unit", delivery_limit=5)
    await bus.start()
    try:
        await bus.consume("crm.events", ["crm.visit.recorded"], handler)
        with caplog.at_level(logging.WARNING, logger="quintet_shared.bus.memory"):
            await bus.publish([Envelope.new(type="crm.visit.recorded", source="crm", data={}).outgoing()])
            await eventually(lambda: len(handled) == 1, within=2)
    finally:
        await bus.close()
    levels = [record.levelno for record in caplog.records if record.message == "handler failed"]
    assert levels == [logging.WARNING, logging.ERROR]  # busy: a warning; a bug: an error
