"""A database that is busy, not broken: the errors that mean "try again in a moment".

SQLite answers "database is locked" when another connection holds the write lock past the busy
timeout; PostgreSQL refuses a lock it could not get in time, a transaction that lost a
serialization race or a deadlock, a connection beyond its limit, or a server restarting; the pool
gives up waiting for a free connection. None of these is the caller's fault nor a bug: the API
answers 503 with `Retry-After` (errors.py), and schedules, jobs and consumers try again later,
logging a warning rather than an error.
"""

import logging
import sqlite3

import psycopg
from sqlalchemy import exc as sa_exc

RETRY_AFTER_SECONDS = 2
BUSY_DETAIL = "The database is busy; try again in a moment."

_SQLITE_BUSY_CODES = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}  # their extended codes share the low byte
_SQLITE_BUSY_MESSAGES = ("database is locked", "database table is locked", "database schema is locked")
_PG_RETRY_STATES = {
    "40001",  # serialization_failure
    "40P01",  # deadlock_detected
    "53000",  # insufficient_resources
    "53300",  # too_many_connections
    "55P03",  # lock_not_available (lock_timeout, NOWAIT)
    "57014",  # query_canceled (statement_timeout)
    "57P01",  # admin_shutdown
    "57P02",  # crash_shutdown
    "57P03",  # cannot_connect_now (starting up, in recovery)
}


def is_busy(error: BaseException) -> bool:
    """True for an error that a retry a little later can be expected to cure, wrapped by
    SQLAlchemy or raw from the driver (code that uses the driver's own cursor)."""
    if isinstance(error, sa_exc.TimeoutError):  # no pooled connection came free in time
        return True
    if isinstance(error, sa_exc.DBAPIError):
        if error.connection_invalidated:
            return True
        error = error.orig or error
    if isinstance(error, sqlite3.OperationalError):
        code = getattr(error, "sqlite_errorcode", None)
        if code is not None:
            return code & 0xFF in _SQLITE_BUSY_CODES
        return str(error).startswith(_SQLITE_BUSY_MESSAGES)
    if isinstance(error, psycopg.OperationalError):
        state = error.sqlstate
        # No state: the connection failed or broke (server gone, restarting, network).
        return state is None or state in _PG_RETRY_STATES or state.startswith("08")
    return False


def failure_level(error: BaseException) -> int:
    """The log level of a failure that will be retried: a busy database is a warning, the rest errors."""
    return logging.WARNING if is_busy(error) else logging.ERROR
