"""Acceptance: two replicas of a worker share one database and fire each schedule once.

Each replica has its own engine (its own connections), both read the same fake clock, and both
tick at the same instant (a barrier) many times per period while the clock moves period by period.
"""

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from quintet_shared.clock import FakeClock
from quintet_shared.db import make_engine, session_scope
from quintet_shared.schedules import Periodic, Scheduler, schedule_once
from quintet_shared.tables import kit_metadata
from quintet_shared.types import UTCDateTime

EVERY = timedelta(minutes=1)
PERIODS = 12
TICKS_PER_PERIOD = 10
REPLICAS = ("replica-a", "replica-b")

test_metadata = MetaData()
firing = Table(
    "firing",
    test_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("what", String(100), nullable=False),  # no unique constraint: a double firing must show
    Column("at", UTCDateTime, nullable=False),
    Column("replica", String(20), nullable=False),
)


@pytest.fixture(params=["postgresql", "sqlite"])
def engines(request: pytest.FixtureRequest) -> Iterator[list[Engine]]:
    url = request.getfixturevalue("postgres_url" if request.param == "postgresql" else "sqlite_url")
    engines = [make_engine(url) for _ in REPLICAS]
    kit_metadata.create_all(engines[0])
    test_metadata.create_all(engines[0])
    yield engines
    for engine in engines:
        engine.dispose()


def periodic_recorder(replica: str) -> Callable[[Session, datetime], None]:
    def action(session: Session, slot: datetime) -> None:
        session.execute(insert(firing).values(what="minutely", at=slot, replica=replica))

    return action


def task_recorder(replica: str) -> Callable[[Session, dict[str, Any], datetime], None]:
    def action(session: Session, payload: dict[str, Any], due_at: datetime) -> None:
        session.execute(insert(firing).values(what=payload["key"], at=due_at, replica=replica))

    return action


def replicas(engines: list[Engine], clock: FakeClock) -> list[Scheduler]:
    return [
        Scheduler(
            engine,
            periodic=[Periodic("minutely", EVERY, periodic_recorder(name))],
            one_shot_actions={"remind": task_recorder(name)},
            clock=clock,
        )
        for engine, name in zip(engines, REPLICAS, strict=True)
    ]


def tick_together(schedulers: list[Scheduler], ticks: int) -> list[str]:
    """Every replica ticks `ticks` times, each tick started at the same instant; all they fired."""
    barrier = threading.Barrier(len(schedulers))

    def replica(scheduler: Scheduler) -> list[str]:
        fired: list[str] = []
        for _ in range(ticks):
            barrier.wait(timeout=20)
            fired.extend(scheduler.tick())
        return fired

    with ThreadPoolExecutor(max_workers=len(schedulers)) as pool:
        return [name for fired in pool.map(replica, schedulers) for name in fired]


def periodic_firings(engine: Engine) -> list[datetime]:
    with engine.connect() as conn:
        query = select(firing.c.at).where(firing.c.what == "minutely").order_by(firing.c.id)
        return list(conn.execute(query).scalars())


def test_a_periodic_schedule_fires_once_per_period_and_once_to_catch_up(engines: list[Engine]) -> None:
    start = datetime(2026, 3, 1, 10, 0, 30, tzinfo=UTC)
    clock = FakeClock(start)
    schedulers = replicas(engines, clock)
    for period in range(PERIODS):
        fired = tick_together(schedulers, TICKS_PER_PERIOD)
        assert fired == ["minutely"], f"period {period}: {fired}"
        clock.advance(EVERY)
    slots = [datetime(2026, 3, 1, 10, minute, tzinfo=UTC) for minute in range(PERIODS)]
    assert periodic_firings(engines[0]) == slots

    clock.advance(5 * EVERY)  # both replicas were down for five more periods
    assert tick_together(schedulers, TICKS_PER_PERIOD) == ["minutely"]
    assert periodic_firings(engines[0])[-1] == datetime(2026, 3, 1, 10, PERIODS + 5, tzinfo=UTC)
    assert len(periodic_firings(engines[0])) == PERIODS + 1


def test_each_one_shot_task_is_fired_once_by_two_replicas(engines: list[Engine]) -> None:
    clock = FakeClock(datetime(2026, 3, 1, 10, tzinfo=UTC))
    keys = [f"reminder-{number}" for number in range(40)]
    with session_scope(engines[0]) as session:
        for number, key in enumerate(keys):
            due = clock() - timedelta(seconds=number)
            schedule_once(session, kind="remind", key=key, due_at=due, payload={"key": key})
    schedulers = replicas(engines, clock)
    fired = tick_together(schedulers, 3)
    fired_tasks = sorted(name for name in fired if name != "minutely")
    assert fired_tasks == sorted(keys)
    with engines[0].connect() as conn:
        recorded = list(conn.execute(select(firing.c.what).where(firing.c.what != "minutely")).scalars())
    assert sorted(recorded) == sorted(keys)
