"""Registrations that arrive together are written together: one thread hop, one transaction and
one commit for all the clients registered while the previous batch was being written.

A registration on its own costs little (two inserts and a commit), but one transaction, one commit
and one hop to a worker thread per client capped the admin API near 66 clients/s at 16 concurrent
callers, most of it spent waiting for threads, the GIL and the disk (bench/admin.py). Batching is
a group commit: while a batch is written the next gathers, so a lone caller waits for nothing
and many callers share each commit. A batch the database refuses as a whole (a race with another
writer of the same code, a busy database) is written again one client at a time, so that one
failure never sinks the others.
"""

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import TypeAlias

from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from gateway import registry
from gateway.models import Client
from gateway.registry import Registration
from quintet_shared.db import session_scope
from quintet_shared.errors import Problem

log = logging.getLogger(__name__)

MAX_BATCH = 200
# Two batches in flight: while one waits for its commit, the next is written. With one, the
# registrations answered by a batch came back while the next batch of one was being written, and
# batches alternated between 1 and 15 clients at 16 callers.
MAX_WRITERS = 2
Outcome: TypeAlias = tuple[Client, str] | Problem | BaseException


class RegistrationBatcher:
    def __init__(
        self,
        engine_of: Callable[[], Engine],
        *,
        known_services: frozenset[str],
        default_rate_limit: int,
        clock: Callable[[], datetime],
        max_batch: int = MAX_BATCH,
        max_writers: int = MAX_WRITERS,
    ) -> None:
        self._engine_of = engine_of  # the engine exists only once the lifespan has started
        self._known_services = known_services
        self._default_rate_limit = default_rate_limit
        self._clock = clock
        self._max_batch = max_batch
        self._waiting: list[tuple[Registration, asyncio.Future[tuple[Client, str]]]] = []
        self._max_writers = max_writers
        self._writers: set[asyncio.Task[None]] = set()

    async def register(self, registration: Registration) -> tuple[Client, str]:
        """The client and its app id; raises the Problem that refused it."""
        future: asyncio.Future[tuple[Client, str]] = asyncio.get_running_loop().create_future()
        self._waiting.append((registration, future))
        if len(self._writers) < self._max_writers:
            self._writers.add(asyncio.create_task(self._write_while_waiting()))
        return await future

    async def _write_while_waiting(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting[: self._max_batch], self._waiting[self._max_batch :]
                try:
                    outcomes = await run_in_threadpool(self._write, [registration for registration, _ in batch])
                except BaseException as exc:  # cancelled at shutdown: no caller is left waiting
                    outcomes = [exc] * len(batch)
                    raise
                finally:
                    _answer(batch, outcomes)
        finally:
            # Leaves the set in the same turn of the loop as it finds nothing waiting: a
            # registration arriving later always finds a free writer slot.
            self._writers.discard(asyncio.current_task())  # type: ignore[arg-type]

    def _write(self, batch: list[Registration]) -> list[Outcome]:
        """In a worker thread: the batch in one transaction, or, if that fails, one by one."""
        if len(batch) > 1:
            try:
                with session_scope(self._engine_of()) as session:
                    return list(self._register_many(session, batch))
            except Exception:
                log.warning("a batch of %d registrations failed; writing them one by one", len(batch), exc_info=True)
        return [self._write_one(registration) for registration in batch]

    def _write_one(self, registration: Registration) -> Outcome:
        try:
            with session_scope(self._engine_of()) as session:
                return self._register_many(session, [registration])[0]
        except Exception as exc:  # handed to its caller, whose route answers it (409, 503, ...)
            return exc

    def _register_many(self, session: Session, batch: list[Registration]) -> list[tuple[Client, str] | Problem]:
        return registry.register_many(
            session,
            registrations=batch,
            known_services=self._known_services,
            default_rate_limit=self._default_rate_limit,
            now=self._clock(),
        )


def _answer(batch: list[tuple[Registration, "asyncio.Future[tuple[Client, str]]"]], outcomes: list[Outcome]) -> None:
    for (_registration, future), outcome in zip(batch, outcomes, strict=True):
        if future.done():  # the caller went away
            continue
        if isinstance(outcome, Exception):
            future.set_exception(outcome)
        elif isinstance(outcome, BaseException):
            future.cancel()
        else:
            future.set_result(outcome)
