"""Periodic schedules and one-shot tasks on one replica, on SQLite and PostgreSQL."""

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from quintet_shared.clock import FakeClock
from quintet_shared.db import make_engine, session_scope
from quintet_shared.metrics import Metrics
from quintet_shared.schedules import Periodic, Scheduler, schedule_once
from quintet_shared.tables import kit_metadata, schedule_state
from quintet_shared.types import UTCDateTime

HOUR = timedelta(hours=1)
START = datetime(2026, 3, 1, 10, 20, tzinfo=UTC)  # inside the 10:00 slot

test_metadata = MetaData()
firing = Table(
    "firing",
    test_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False),
    Column("at", UTCDateTime, nullable=False),  # the slot, or the task's due time
    Column("detail", String(100), nullable=True),
)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    kit_metadata.create_all(engine)
    test_metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


def record(name: str) -> Any:
    def action(session: Session, slot: datetime) -> None:
        session.execute(insert(firing).values(name=name, at=slot))

    return action


def record_task(session: Session, payload: dict[str, Any], due_at: datetime) -> None:
    session.execute(insert(firing).values(name="task", at=due_at, detail=payload.get("promo")))


def firings(engine: Engine, name: str | None = None) -> list[tuple[str, datetime, str | None]]:
    query = select(firing.c.name, firing.c.at, firing.c.detail).order_by(firing.c.id)
    if name is not None:
        query = query.where(firing.c.name == name)
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(query)]  # type: ignore[misc]


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, 1, hour, minute, tzinfo=UTC)


def test_the_first_tick_fires_the_current_slot_then_once_per_slot(engine: Engine, clock: FakeClock) -> None:
    scheduler = Scheduler(engine, periodic=[Periodic("hourly", HOUR, record("hourly"))], clock=clock)
    assert scheduler.tick() == ["hourly"]
    assert scheduler.tick() == []
    clock.set(at(10, 59))
    assert scheduler.tick() == []
    clock.set(at(11))
    assert scheduler.tick() == ["hourly"]
    assert scheduler.tick() == []
    assert [slot for _, slot, _ in firings(engine)] == [at(10), at(11)]


def test_after_a_downtime_of_several_periods_it_fires_once_for_the_current_slot(
    engine: Engine, clock: FakeClock
) -> None:
    scheduler = Scheduler(engine, periodic=[Periodic("hourly", HOUR, record("hourly"))], clock=clock)
    scheduler.tick()
    clock.advance(5 * HOUR)
    assert scheduler.tick() == ["hourly"]
    assert scheduler.tick() == []
    assert [slot for _, slot, _ in firings(engine)] == [at(10), at(15)]
    with engine.connect() as conn:
        state = conn.execute(select(schedule_state)).mappings().one()
    assert (state["last_slot_at"], state["fired_at"]) == (at(15), at(15, 20))


def test_a_failed_action_leaves_its_slot_to_a_later_tick_and_spares_the_others(
    engine: Engine, clock: FakeClock
) -> None:
    broken = {"yes": True}

    def flaky(session: Session, slot: datetime) -> None:
        session.execute(insert(firing).values(name="flaky", at=slot))  # rolled back with the claim
        if broken["yes"]:
            raise RuntimeError("provider down")

    periodic = [Periodic("flaky", HOUR, flaky), Periodic("steady", HOUR, record("steady"))]
    scheduler = Scheduler(engine, periodic=periodic, clock=clock)
    assert scheduler.tick() == ["steady"]
    assert firings(engine, "flaky") == []
    broken["yes"] = False
    assert scheduler.tick() == ["flaky"]
    assert [slot for _, slot, _ in firings(engine, "flaky")] == [at(10)]


def test_schedules_with_different_periods_keep_their_own_slots(engine: Engine, clock: FakeClock) -> None:
    periodic = [Periodic("hourly", HOUR, record("hourly")), Periodic("quarter", HOUR / 4, record("quarter"))]
    scheduler = Scheduler(engine, periodic=periodic, clock=clock)
    fired = []
    for minute in range(20, 75, 5):  # 10:20 to 11:10
        clock.set(at(10) + timedelta(minutes=minute))
        fired.extend(scheduler.tick())
    assert fired.count("hourly") == 2  # the 10:00 slot at 10:20, then 11:00
    assert fired.count("quarter") == 4  # the 10:15 slot at 10:20, then 10:30, 10:45 and 11:00


def test_periodic_names_must_be_unique(engine: Engine) -> None:
    with pytest.raises(ValueError, match="unique"):
        Scheduler(engine, periodic=[Periodic("a", HOUR, record("a")), Periodic("a", HOUR, record("b"))])


def test_a_one_shot_task_fires_once_when_due_with_its_payload(engine: Engine, clock: FakeClock) -> None:
    due = at(12)
    with session_scope(engine) as session:
        assert schedule_once(session, kind="promo.start", key="promo-7", due_at=due, payload={"promo": "7"})
    with session_scope(engine) as session:
        # Scheduling the same key again is harmless: the first schedule stands.
        assert not schedule_once(session, kind="promo.start", key="promo-7", due_at=at(13), payload={"promo": "x"})
    scheduler = Scheduler(engine, one_shot_actions={"promo.start": record_task}, clock=clock)
    assert scheduler.tick() == []
    clock.set(due - timedelta(microseconds=1))
    assert scheduler.tick() == []
    clock.set(due + timedelta(minutes=3))
    assert scheduler.tick() == ["promo-7"]
    assert scheduler.tick() == []
    assert firings(engine) == [("task", due, "7")]


def test_a_task_scheduled_in_a_rolled_back_transaction_never_fires(engine: Engine, clock: FakeClock) -> None:
    with session_scope(engine) as session:
        schedule_once(session, kind="promo.start", key="promo-8", due_at=at(9), payload={})
        session.rollback()
    assert Scheduler(engine, one_shot_actions={"promo.start": record_task}, clock=clock).tick() == []


def test_a_failing_or_unknown_task_does_not_hold_up_the_others_and_is_retried(engine: Engine, clock: FakeClock) -> None:
    attempts = {"n": 0}

    def fails_once(session: Session, payload: dict[str, Any], due_at: datetime) -> None:
        attempts["n"] += 1
        if attempts["n"] == 1:
            raise RuntimeError("not yet")
        record_task(session, payload, due_at)

    with session_scope(engine) as session:
        schedule_once(session, kind="flaky", key="a", due_at=at(9), payload={"promo": "a"})
        schedule_once(session, kind="mystery", key="b", due_at=at(9, 30), payload={"promo": "b"})
        schedule_once(session, kind="steady", key="c", due_at=at(10), payload={"promo": "c"})
    actions = {"flaky": fails_once, "steady": record_task}
    scheduler = Scheduler(engine, one_shot_actions=actions, clock=clock)
    assert scheduler.tick() == ["c"]
    assert scheduler.tick() == ["a"]
    assert scheduler.tick() == []  # "mystery" has no action here: it waits, unfired, for one that has
    assert [detail for _, _, detail in firings(engine)] == ["c", "a"]


def test_firings_are_counted_in_the_metrics(engine: Engine, clock: FakeClock) -> None:
    metrics = Metrics("acme")
    with session_scope(engine) as session:
        schedule_once(session, kind="promo.start", key="k", due_at=at(9), payload={})
    periodic = [Periodic("hourly", HOUR, record("hourly"))]
    scheduler = Scheduler(
        engine, periodic=periodic, one_shot_actions={"promo.start": record_task}, clock=clock, metrics=metrics
    )
    scheduler.tick()
    scheduler.tick()
    assert metrics.schedules.labels("hourly")._value.get() == 1
    assert metrics.schedules.labels("promo.start")._value.get() == 1


async def test_run_ticks_until_stopped(engine: Engine, clock: FakeClock) -> None:
    scheduler = Scheduler(engine, periodic=[Periodic("hourly", HOUR, record("hourly"))], clock=clock)
    stop = asyncio.Event()
    running = asyncio.create_task(scheduler.run(stop, interval=0.01))
    deadline = asyncio.get_running_loop().time() + 10
    while len(firings(engine)) < 2:
        if len(firings(engine)) == 1:
            clock.set(at(11))
        assert asyncio.get_running_loop().time() < deadline, "the scheduler did not keep ticking"
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(running, timeout=5)
    assert [slot for _, slot, _ in firings(engine)] == [at(10), at(11)]
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(schedule_state)).scalar_one() == 1
