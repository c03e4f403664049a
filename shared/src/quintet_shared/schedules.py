"""Timed work that fires once across replicas and catches up after downtime (ARCHITECTURE.md §8).

Periodic schedules divide time into slots at multiples of `every` since the Unix epoch (UTC). Each
schedule has a `schedule_state` row holding the last slot that fired; firing is a compare-and-set
on that row in the same transaction as the action, so one replica wins each slot and a crash before
commit leaves the slot to the next tick. After downtime the CAS jumps straight to the current slot:
a schedule fires once, not once per missed slot. Its action receives the slot time and must cover
the gap itself when that matters (query "since the last run", not "in the last period").

One-shot tasks (`schedule_once`) fire once when due, claimed with `FOR UPDATE SKIP LOCKED` so that
replicas share the work, one task per transaction.
"""

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlmodel import Session

from quintet_shared.busy import failure_level
from quintet_shared.clock import Clock, system_clock
from quintet_shared.db import session_scope
from quintet_shared.metrics import Metrics
from quintet_shared.tables import schedule_state, scheduled_task

log = logging.getLogger(__name__)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

PeriodicAction = Callable[[Session, datetime], None]
OneShotAction = Callable[[Session, dict[str, Any], datetime], None]


@dataclass(frozen=True)
class Periodic:
    name: str
    every: timedelta
    action: PeriodicAction

    def __post_init__(self) -> None:
        if self.every <= timedelta(0):
            raise ValueError(f"schedule {self.name!r}: `every` must be positive")


def slot_at(moment: datetime, every: timedelta) -> datetime:
    """The start of the slot `moment` falls in: the latest multiple of `every` since the epoch."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: slots are computed on aware times only")
    if every <= timedelta(0):
        raise ValueError("`every` must be positive")
    return EPOCH + ((moment - EPOCH) // every) * every


def _insert(session: Session) -> Callable[..., Any]:
    # Both dialects' INSERT ... ON CONFLICT DO NOTHING: insert-if-absent without a race.
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def schedule_once(
    session: Session, *, kind: str, key: str, due_at: datetime, payload: dict[str, Any] | None = None
) -> bool:
    """Schedule a task to fire once at `due_at`; False when `key` is already scheduled (harmless).

    Part of the caller's transaction: nothing is committed here.
    """
    statement = (
        _insert(session)(scheduled_task)
        .values(kind=kind, key=key, due_at=due_at, payload=payload or {}, fired_at=None)
        .on_conflict_do_nothing(index_elements=["key"])
        # RETURNING tells a new row from a conflict on both databases; an INSERT's rowcount reads -1
        # on psycopg.
        .returning(scheduled_task.c.id)
    )
    return session.execute(statement).first() is not None


class Scheduler:
    def __init__(
        self,
        engine: Engine,
        *,
        periodic: Sequence[Periodic] = (),
        one_shot_actions: Mapping[str, OneShotAction] | None = None,
        clock: Clock = system_clock,
        metrics: Metrics | None = None,
        max_tasks_per_tick: int = 1000,
    ) -> None:
        names = [schedule.name for schedule in periodic]
        if len(set(names)) != len(names):
            raise ValueError("periodic schedule names must be unique")
        self.engine = engine
        self.periodic = list(periodic)
        self.one_shot_actions = dict(one_shot_actions or {})
        self.clock = clock
        self.metrics = metrics
        self.max_tasks_per_tick = max_tasks_per_tick

    def tick(self) -> list[str]:
        """Fire everything due now; returns the names of the periodic schedules and the keys of the
        one-shot tasks this replica fired."""
        now = self.clock()
        fired = [schedule.name for schedule in self.periodic if self._fire_periodic(schedule, now)]
        fired.extend(self._fire_due_tasks(now))
        return fired

    async def run(self, stop: asyncio.Event, interval: float = 1.0) -> None:
        while not stop.is_set():
            try:
                await asyncio.to_thread(self.tick)
            except Exception:
                log.warning("scheduler tick failed; retrying", exc_info=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)

    def _fire_periodic(self, schedule: Periodic, now: datetime) -> bool:
        slot = slot_at(now, schedule.every)
        try:
            with session_scope(self.engine) as session:
                if not self._claim_slot(session, schedule.name, slot, now):
                    return False
                schedule.action(session, slot)
        except Exception as exc:
            # Rolled back with the claim: the slot fires on a later tick, here or on another replica.
            # A busy database is only a warning: the next tick tries again.
            extra = {"schedule": schedule.name, "slot": slot.isoformat()}
            log.log(failure_level(exc), "schedule failed; a later tick tries again", exc_info=True, extra=extra)
            return False
        self._count(schedule.name)
        return True

    def _claim_slot(self, session: Session, name: str, slot: datetime, now: datetime) -> bool:
        """Compare-and-set on the schedule's row. On PostgreSQL a concurrent replica's UPDATE waits
        on the row lock, then finds the slot taken and updates nothing."""
        # The epoch as "never fired": the first tick ever fires the current slot.
        absent = _insert(session)(schedule_state).values(name=name, last_slot_at=EPOCH, fired_at=EPOCH)
        session.execute(absent.on_conflict_do_nothing(index_elements=["name"]))
        claim = (
            update(schedule_state)
            .where(schedule_state.c.name == name, schedule_state.c.last_slot_at < slot)
            .values(last_slot_at=slot, fired_at=now)
        )
        return cast(CursorResult[Any], session.execute(claim)).rowcount == 1

    def _fire_due_tasks(self, now: datetime) -> list[str]:
        fired: list[str] = []
        failed: set[int] = set()  # skipped for the rest of this tick, so one bad task cannot loop
        for _ in range(self.max_tasks_per_tick):
            outcome = self._fire_next_task(now, failed)
            if outcome is None:
                break
            if outcome:
                fired.append(outcome)
        return fired

    def _fire_next_task(self, now: datetime, failed: set[int]) -> str | None:
        """Fire the next due task; its key, "" when it was not fired, None when none is due."""
        query = (
            select(scheduled_task)
            .where(scheduled_task.c.fired_at.is_(None), scheduled_task.c.due_at <= now)
            .order_by(scheduled_task.c.due_at, scheduled_task.c.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        if failed:
            query = query.where(scheduled_task.c.id.not_in(failed))
        task: Any = None
        try:
            with session_scope(self.engine) as session:
                task = session.execute(query).mappings().first()
                if task is None:
                    return None
                if not self._claim_task(session, task["id"], now):
                    return ""  # SQLite has no row locks: another replica fired it first
                self._action_for(task["kind"])(session, dict(task["payload"] or {}), task["due_at"])
        except Exception as exc:
            if task is None:
                raise
            failed.add(task["id"])
            extra = {"task_key": task["key"], "kind": task["kind"]}
            log.log(failure_level(exc), "scheduled task failed; a later tick tries again", exc_info=True, extra=extra)
            return ""
        self._count(task["kind"])
        return str(task["key"])

    def _claim_task(self, session: Session, task_id: int, now: datetime) -> bool:
        claim = (
            update(scheduled_task)
            .where(scheduled_task.c.id == task_id, scheduled_task.c.fired_at.is_(None))
            .values(fired_at=now)
        )
        return cast(CursorResult[Any], session.execute(claim)).rowcount == 1

    def _action_for(self, kind: str) -> OneShotAction:
        action = self.one_shot_actions.get(kind)
        if action is None:
            raise LookupError(f"no one-shot action for task kind {kind!r}")
        return action

    def _count(self, label: str) -> None:
        if self.metrics is not None:
            self.metrics.schedules.labels(label).inc()
