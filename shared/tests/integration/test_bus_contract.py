"""The event-delivery contract of ARCHITECTURE.md §7, end to end: outbox → relay → bus → inbox.

Every test but the broker restart runs on both transports (the `bus_under_test` fixture), with the real
`OutboxRelay` and `idempotent_handler` on a real database.
"""

import asyncio
from collections.abc import Iterator
from uuid import UUID

import pytest
from sqlalchemy import Column, Integer, String, Table, Uuid, func, insert, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from quintet_shared.db import make_engine, new_metadata, session_scope
from quintet_shared.envelope import Envelope
from quintet_shared.inbox import idempotent_handler
from quintet_shared.outbox import OutboxRelay, add_event
from quintet_shared.tables import inbox_message, kit_metadata, outbox_message
from quintet_shared.testing.bus_harness import BusUnderTest, eventually

QUEUE = "contract.events"
EVENT = "contract.thing.happened"

test_metadata = new_metadata()
effect = Table(
    "contract_effect",
    test_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # Deliberately not unique: a duplicate effect must be visible, not prevented by the table.
    Column("message_id", Uuid, nullable=False),
    Column("value", String(100), nullable=False),
)


def record_effect(session: Session, envelope: Envelope) -> None:
    session.execute(insert(effect).values(message_id=envelope.id, value=envelope.data["value"]))


def new_event(value: str) -> Envelope:
    return Envelope.new(type=EVENT, source="contract", data={"value": value})


def commit_events(engine: Engine, values: list[str]) -> list[Envelope]:
    with session_scope(engine) as session:
        return [add_event(session, new_event(value)) for value in values]


def effects(engine: Engine) -> list[tuple[UUID, str]]:
    with engine.connect() as conn:
        return [(row.message_id, row.value) for row in conn.execute(select(effect.c.message_id, effect.c.value))]


def count(engine: Engine, table: Table) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def make_database(url: str) -> Iterator[Engine]:
    engine = make_engine(url)
    kit_metadata.create_all(engine)
    test_metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_engine(sqlite_url: str) -> Iterator[Engine]:
    yield from make_database(sqlite_url)


@pytest.fixture
def pg_engine(postgres_url: str) -> Iterator[Engine]:
    yield from make_database(postgres_url)


class Deliveries:
    """Counts what the bus hands to the consumer, before the inbox decides what to do with it."""

    def __init__(self, engine: Engine | None = None, *, fail: bool = False) -> None:
        self.inner = idempotent_handler(engine, consumer=QUEUE, handlers={EVENT: record_effect}) if engine else None
        self.fail = fail
        self.seen: list[Envelope] = []

    async def __call__(self, envelope: Envelope) -> None:
        self.seen.append(envelope)
        if self.fail:
            raise RuntimeError("this handler always fails")
        if self.inner is not None:
            await self.inner(envelope)


async def test_rolled_back_event_never_leaves(bus_under_test: BusUnderTest, sqlite_engine: Engine) -> None:
    deliveries = Deliveries(sqlite_engine)
    await bus_under_test.consume(QUEUE, [EVENT], deliveries)
    relay = OutboxRelay(sqlite_engine, bus_under_test.bus)

    with Session(sqlite_engine) as session:
        add_event(session, new_event("rolled back"))
        session.rollback()
    assert await relay.relay_once() == 0

    # A committed marker behind it bounds the wait: once the marker is handled, anything the
    # rolled-back transaction could have sent would have been handled as well.
    (marker,) = commit_events(sqlite_engine, ["marker"])
    assert await relay.relay_once() == 1
    await eventually(lambda: count(sqlite_engine, effect) >= 1)
    assert [envelope.id for envelope in deliveries.seen] == [marker.id]
    assert effects(sqlite_engine) == [(marker.id, "marker")]


async def test_committed_event_arrives_and_its_effect_is_stored(
    bus_under_test: BusUnderTest, sqlite_engine: Engine
) -> None:
    await bus_under_test.consume(QUEUE, [EVENT], Deliveries(sqlite_engine))
    (event,) = commit_events(sqlite_engine, ["hello"])

    assert await OutboxRelay(sqlite_engine, bus_under_test.bus).relay_once() == 1

    await eventually(lambda: count(sqlite_engine, effect) == 1)
    assert effects(sqlite_engine) == [(event.id, "hello")]
    with sqlite_engine.connect() as conn:
        assert conn.execute(select(outbox_message.c.sent_at)).scalar_one() is not None
        assert conn.execute(select(inbox_message.c.message_id)).scalar_one() == event.id


async def test_duplicate_delivery_has_its_effect_once(bus_under_test: BusUnderTest, pg_engine: Engine) -> None:
    deliveries = Deliveries(pg_engine)
    await bus_under_test.consume(QUEUE, [EVENT], deliveries)
    event = new_event("once")

    # Twice in one call: both copies may be handled at the same moment, the harder case for the inbox.
    await bus_under_test.bus.publish([event.outgoing(), event.outgoing()])

    await eventually(lambda: len(deliveries.seen) == 2)
    await eventually(lambda: count(pg_engine, inbox_message) == 1)
    assert effects(pg_engine) == [(event.id, "once")]


async def test_unparsable_message_goes_to_the_dead_letter_queue_at_once(bus_under_test: BusUnderTest) -> None:
    deliveries = Deliveries()
    await bus_under_test.consume(QUEUE, [EVENT], deliveries)

    await bus_under_test.publish_raw(EVENT, b'{"not": "an envelope"')

    assert await bus_under_test.dead_letters(QUEUE, count=1) == [b'{"not": "an envelope"']
    assert deliveries.seen == []


async def test_dead_letters_of_a_queue_never_consumed_are_empty(bus_under_test: BusUnderTest) -> None:
    assert await bus_under_test.bus.dead_letters("contract.never.consumed") == []


async def test_failing_handler_reaches_the_dead_letter_queue_after_the_delivery_limit(
    bus_under_test: BusUnderTest,
) -> None:
    deliveries = Deliveries(fail=True)
    await bus_under_test.consume(QUEUE, [EVENT], deliveries)
    event = new_event("poison")

    await bus_under_test.bus.publish([event.outgoing()])

    assert await bus_under_test.dead_letters(QUEUE, count=1) == [event.encode()]
    assert len(deliveries.seen) == bus_under_test.delivery_limit
    assert {envelope.id for envelope in deliveries.seen} == {event.id}


async def test_event_nobody_consumes_is_kept_aside_and_does_not_block_the_outbox(
    rabbit_under_test: BusUnderTest, sqlite_engine: Engine
) -> None:
    deliveries = Deliveries(sqlite_engine)
    await rabbit_under_test.consume(QUEUE, [EVENT], deliveries)
    (routed,) = commit_events(sqlite_engine, ["routed"])
    with session_scope(sqlite_engine) as session:
        # Nobody is bound to this key: the alternate exchange keeps it, so the broker confirms it.
        unrouted = add_event(session, Envelope.new(type="contract.nobody.listens", source="contract", data={}))

    assert await OutboxRelay(sqlite_engine, rabbit_under_test.bus).relay_once() == 2

    with sqlite_engine.connect() as conn:
        rows = conn.execute(select(outbox_message.c.message_id, outbox_message.c.sent_at, outbox_message.c.attempts))
        state = {row.message_id: (row.sent_at is not None, row.attempts) for row in rows}
    assert state == {routed.id: (True, 0), unrouted.id: (True, 0)}
    await eventually(lambda: count(sqlite_engine, effect) == 1)
    assert [envelope.id for envelope in deliveries.seen] == [routed.id]
    kept = await rabbit_under_test.drain_unrouted()
    assert [Envelope.decode(body).id for body in kept] == [unrouted.id]


async def test_broker_restart_mid_stream_loses_and_duplicates_nothing(
    rabbit_under_test: BusUnderTest, pg_engine: Engine
) -> None:
    total, chunk, held_back = 1000, 25, 100
    bus = rabbit_under_test.bus
    await rabbit_under_test.consume(QUEUE, [EVENT], Deliveries(pg_engine))
    stop, broker_back = asyncio.Event(), asyncio.Event()
    relay = asyncio.create_task(OutboxRelay(pg_engine, bus, batch_size=100, poll_interval=0.02).run(stop))

    async def produce() -> None:
        # A paced stream, so that the restart falls in the middle of it; the last events wait for
        # the broker, so that some are certainly published and consumed after the restart.
        for start in range(0, total, chunk):
            if start >= total - held_back:
                await broker_back.wait()
            await asyncio.to_thread(commit_events, pg_engine, [f"event {n}" for n in range(start, start + chunk)])
            await asyncio.sleep(0.02)

    producer = asyncio.create_task(produce())
    try:
        await eventually(lambda: count(pg_engine, effect) >= 150, within=30)
        await rabbit_under_test.restart_broker()
        broker_back.set()
        await producer
        await eventually(lambda: count(pg_engine, inbox_message) == total, within=60)
    finally:
        stop.set()
        producer.cancel()
        await asyncio.gather(relay, producer, return_exceptions=True)

    handled = effects(pg_engine)
    assert len(handled) == total
    assert len({message_id for message_id, _ in handled}) == total
    assert count(pg_engine, inbox_message) == total
    await eventually(bus.is_ready, within=15)
    assert await bus.dead_letters(QUEUE) == []
