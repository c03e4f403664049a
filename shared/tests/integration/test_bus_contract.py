"""The event-delivery contract of ARCHITECTURE.md §7, end to end: outbox → relay → bus → inbox.

Every test but the broker restart runs on both transports (the `bus_under_test` fixture), with the real
`OutboxRelay` and `idempotent_handler` on a real database. Consumers take batches (`consume_batches`),
as every component's event consumer does.
"""

import asyncio
from collections.abc import Iterator, Sequence
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

    def __init__(self, engine: Engine | None = None, *, fail: bool = False, poison: str | None = None) -> None:
        handlers = {EVENT: self._record_unless_poison}
        self.inner = idempotent_handler(engine, consumer=QUEUE, handlers=handlers) if engine else None
        self.fail = fail
        self.poison = poison
        self.batches: list[list[Envelope]] = []
        self.returned = 0  # messages of the batches that returned: the bus acks them

    @property
    def seen(self) -> list[Envelope]:
        return [envelope for batch in self.batches for envelope in batch]

    def _record_unless_poison(self, session: Session, envelope: Envelope) -> None:
        record_effect(session, envelope)  # written first: the rollback must undo it
        if envelope.data["value"] == self.poison:
            raise RuntimeError("this message always fails")

    async def __call__(self, batch: Sequence[Envelope]) -> None:
        self.batches.append(list(batch))
        if self.fail:
            raise RuntimeError("this handler always fails")
        if self.inner is not None:
            await self.inner(batch)
        self.returned += len(batch)


async def test_rolled_back_event_never_leaves(bus_under_test: BusUnderTest, sqlite_engine: Engine) -> None:
    deliveries = Deliveries(sqlite_engine)
    await bus_under_test.consume_batches(QUEUE, [EVENT], deliveries)
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
    await bus_under_test.consume_batches(QUEUE, [EVENT], Deliveries(sqlite_engine))
    (event,) = commit_events(sqlite_engine, ["hello"])

    assert await OutboxRelay(sqlite_engine, bus_under_test.bus).relay_once() == 1

    await eventually(lambda: count(sqlite_engine, effect) == 1)
    assert effects(sqlite_engine) == [(event.id, "hello")]
    with sqlite_engine.connect() as conn:
        assert conn.execute(select(outbox_message.c.sent_at)).scalar_one() is not None
        assert conn.execute(select(inbox_message.c.message_id)).scalar_one() == event.id


async def test_duplicate_delivery_has_its_effect_once(bus_under_test: BusUnderTest, pg_engine: Engine) -> None:
    deliveries = Deliveries(pg_engine)
    await bus_under_test.consume_batches(QUEUE, [EVENT], deliveries)
    event = new_event("once")

    # Twice in one call: both copies may be handled at the same moment, the harder case for the inbox.
    await bus_under_test.bus.publish([event.outgoing(), event.outgoing()])

    await eventually(lambda: len(deliveries.seen) == 2)
    await eventually(lambda: count(pg_engine, inbox_message) == 1)
    assert effects(pg_engine) == [(event.id, "once")]


async def test_unparsable_message_goes_to_the_dead_letter_queue_at_once(bus_under_test: BusUnderTest) -> None:
    deliveries = Deliveries()
    await bus_under_test.consume_batches(QUEUE, [EVENT], deliveries)

    await bus_under_test.publish_raw(EVENT, b'{"not": "an envelope"')

    assert await bus_under_test.dead_letters(QUEUE, count=1) == [b'{"not": "an envelope"']
    assert deliveries.seen == []


async def test_dead_letters_of_a_queue_never_consumed_are_empty(bus_under_test: BusUnderTest) -> None:
    assert await bus_under_test.bus.dead_letters("contract.never.consumed") == []


async def test_failing_handler_reaches_the_dead_letter_queue_after_the_delivery_limit(
    bus_under_test: BusUnderTest,
) -> None:
    deliveries = Deliveries(fail=True)
    await bus_under_test.consume_batches(QUEUE, [EVENT], deliveries)
    event = new_event("poison")

    await bus_under_test.bus.publish([event.outgoing()])

    assert await bus_under_test.dead_letters(QUEUE, count=1) == [event.encode()]
    assert len(deliveries.seen) == bus_under_test.delivery_limit
    assert {envelope.id for envelope in deliveries.seen} == {event.id}


async def test_poison_message_in_the_middle_of_a_batch_holds_back_none_of_the_others(
    bus_under_test: BusUnderTest, pg_engine: Engine
) -> None:
    deliveries = Deliveries(pg_engine, poison="poison")
    await bus_under_test.consume_batches(QUEUE, [EVENT], deliveries)
    events = [new_event(value) for value in ("a", "b", "poison", "c", "d")]

    await bus_under_test.bus.publish([event.outgoing() for event in events])

    poison = events[2]
    assert await bus_under_test.dead_letters(QUEUE, count=1) == [poison.encode()]
    assert [envelope.id for envelope in deliveries.batches[0]] == [event.id for event in events]
    assert sorted(effects(pg_engine)) == sorted((event.id, event.data["value"]) for event in events if event != poison)
    assert count(pg_engine, inbox_message) == 4
    # Delivered the limit's number of times (each time it failed alone), and no other message again.
    assert [envelope.id for envelope in deliveries.seen].count(poison.id) == 1 + bus_under_test.delivery_limit
    assert len(deliveries.seen) == 2 * len(events) + bus_under_test.delivery_limit - 1


async def test_duplicate_inside_one_batch_has_its_effect_once(bus_under_test: BusUnderTest, pg_engine: Engine) -> None:
    deliveries = Deliveries(pg_engine)
    await bus_under_test.consume_batches(QUEUE, [EVENT], deliveries)
    twice, once = new_event("twice"), new_event("once")

    await bus_under_test.bus.publish([twice.outgoing(), once.outgoing(), twice.outgoing()])

    await eventually(lambda: count(pg_engine, inbox_message) == 2)
    assert [envelope.id for envelope in deliveries.batches[0]] == [twice.id, once.id, twice.id]
    assert sorted(effects(pg_engine)) == sorted([(twice.id, "twice"), (once.id, "once")])


async def test_a_handled_batch_is_acked_whole(bus_under_test: BusUnderTest, pg_engine: Engine) -> None:
    first = Deliveries(pg_engine)
    await bus_under_test.consume_batches(QUEUE, [EVENT], first)
    events = [new_event(f"event {n}") for n in range(10)]
    await bus_under_test.bus.publish([event.outgoing() for event in events])
    await eventually(lambda: first.returned == 10)

    # A new consumer after a restart gets nothing again: every message of the batch was acked.
    await bus_under_test.bus.close()
    await bus_under_test.bus.start()
    second = Deliveries(pg_engine)
    await bus_under_test.consume_batches(QUEUE, [EVENT], second)
    marker = new_event("marker")
    await bus_under_test.bus.publish([marker.outgoing()])
    await eventually(lambda: count(pg_engine, effect) == 11)
    assert [envelope.id for envelope in second.seen] == [marker.id]


class CrashesAfterCommit(Deliveries):
    """Commits its first batch's effects, then never returns: the process dies before it acks."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self.committed = asyncio.Event()

    async def __call__(self, batch: Sequence[Envelope]) -> None:
        await super().__call__(batch)
        self.committed.set()
        await asyncio.Event().wait()


async def test_redelivery_after_a_crash_mid_batch_loses_and_duplicates_nothing(
    bus_under_test: BusUnderTest, pg_engine: Engine
) -> None:
    crashing = CrashesAfterCommit(pg_engine)
    await bus_under_test.consume_batches(QUEUE, [EVENT], crashing)
    events = [new_event(f"event {n}") for n in range(20)]
    await bus_under_test.bus.publish([event.outgoing() for event in events])
    await asyncio.wait_for(crashing.committed.wait(), timeout=15)
    handled_before = count(pg_engine, inbox_message)
    assert 0 < handled_before <= 20

    await bus_under_test.bus.close()  # the crash: nothing of the batch was acked
    await bus_under_test.bus.start()
    restarted = Deliveries(pg_engine)
    await bus_under_test.consume_batches(QUEUE, [EVENT], restarted)

    crashed_batch = {envelope.id for envelope in crashing.batches[0]}
    await eventually(lambda: crashed_batch <= {envelope.id for envelope in restarted.seen})
    await eventually(lambda: count(pg_engine, inbox_message) == 20)
    assert sorted(effects(pg_engine)) == sorted((event.id, event.data["value"]) for event in events)


async def test_event_nobody_consumes_is_kept_aside_and_does_not_block_the_outbox(
    rabbit_under_test: BusUnderTest, sqlite_engine: Engine
) -> None:
    deliveries = Deliveries(sqlite_engine)
    await rabbit_under_test.consume_batches(QUEUE, [EVENT], deliveries)
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
    await rabbit_under_test.consume_batches(QUEUE, [EVENT], Deliveries(pg_engine))
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


async def test_a_consumer_whose_queue_is_deleted_comes_back_with_it(
    rabbit_under_test: BusUnderTest, pg_engine: Engine
) -> None:
    deliveries = Deliveries(pg_engine)
    await rabbit_under_test.consume_batches(QUEUE, [EVENT], deliveries)
    await rabbit_under_test.delete_queue(QUEUE)
    # The broker cancels the consumer; its channel reopens, re-declares the queue and consumes again.
    await eventually(lambda: rabbit_under_test.queue_consumers(QUEUE), within=15)
    await eventually(rabbit_under_test.bus.is_ready, within=15)
    sent = new_event("after the queue came back")
    await rabbit_under_test.bus.publish([sent.outgoing()])
    await eventually(lambda: count(pg_engine, effect) == 1)
    assert [envelope.id for envelope in deliveries.seen] == [sent.id]
