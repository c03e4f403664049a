"""The outbox relay wakes on commit (PostgreSQL LISTEN/NOTIFY) and falls back to its poll."""

import asyncio
from collections.abc import AsyncIterator, Sequence

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from quintet_shared.bus.memory import InMemoryBus
from quintet_shared.db import session_scope
from quintet_shared.envelope import Envelope
from quintet_shared.outbox import OutboxRelay, add_event
from quintet_shared.outbox_notify import ensure_notify_trigger
from quintet_shared.testing.bus_harness import eventually

EVENT = "relay.thing.happened"
# The integration conftest's `engine`, on one database only (LISTEN/NOTIFY is PostgreSQL's).
ON_POSTGRESQL = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
ON_SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
LONG = 30.0  # a poll that never comes within a test


class Published:
    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []

    async def __call__(self, batch: Sequence[Envelope]) -> None:
        self.envelopes.extend(batch)


@pytest.fixture
async def bus() -> AsyncIterator[InMemoryBus]:
    bus = InMemoryBus(namespace="relay", batch_wait=0)
    await bus.start()
    yield bus
    await bus.close()


def commit_event(engine: Engine) -> Envelope:
    with session_scope(engine) as session:
        return add_event(session, Envelope.new(type=EVENT, source="relay", data={}))


async def running(relay: OutboxRelay, published: Published, engine: Engine, *, within: float) -> None:
    """Start `relay`, commit an event once it idles, and expect it published within `within` s."""
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    try:
        await asyncio.sleep(0.3)  # the first round has found nothing: the relay now waits
        event = await asyncio.to_thread(commit_event, engine)
        await eventually(lambda: [e.id for e in published.envelopes] == [event.id], within=within)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=5)


@ON_POSTGRESQL
async def test_relay_wakes_on_commit_with_the_poll_far_away(engine: Engine, bus: InMemoryBus) -> None:
    published = Published()
    await bus.consume_batches("relay.events", [EVENT], published)
    relay = OutboxRelay(engine, bus, poll_interval=LONG, listen_poll_interval=LONG)
    assert relay.listener is not None

    await running(relay, published, engine, within=1.0)


@ON_POSTGRESQL
async def test_relay_polls_when_it_cannot_listen(engine: Engine, bus: InMemoryBus) -> None:
    published = Published()
    await bus.consume_batches("relay.events", [EVENT], published)
    relay = OutboxRelay(engine, bus, poll_interval=0.05, listen_poll_interval=LONG)
    assert relay.listener is not None
    relay.listener.conninfo = "postgresql://postgres@127.0.0.1:1/nowhere"  # LISTEN never gets through

    await running(relay, published, engine, within=1.0)
    assert not relay.listener.listening


@ON_SQLITE
async def test_relay_polls_on_sqlite(engine: Engine, bus: InMemoryBus) -> None:
    published = Published()
    await bus.consume_batches("relay.events", [EVENT], published)
    relay = OutboxRelay(engine, bus, poll_interval=0.05, listen_poll_interval=LONG)
    assert relay.listener is None

    await running(relay, published, engine, within=1.0)


@ON_POSTGRESQL
def test_migrations_give_an_outbox_without_the_trigger_its_trigger(engine: Engine) -> None:
    count = text("SELECT count(*) FROM pg_trigger WHERE tgname = 'outbox_message_notify'")
    with engine.begin() as conn:
        assert conn.execute(count).scalar_one() == 1  # created with the table
        conn.execute(text("DROP TRIGGER outbox_message_notify ON outbox_message"))
        ensure_notify_trigger(conn)
        ensure_notify_trigger(conn)  # idempotent
        assert conn.execute(count).scalar_one() == 1
