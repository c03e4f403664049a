"""The in-process bus keeps RabbitMQ's delivery rules: ack on return, redelivery, dead letters."""

import asyncio
from collections.abc import AsyncIterator

import pytest

from quintet_shared.bus.memory import InMemoryBus
from quintet_shared.envelope import Envelope
from quintet_shared.testing.bus_harness import eventually

EVENT = "crm.visit.recorded"


def event(value: int = 0, type: str = EVENT) -> Envelope:
    return Envelope.new(type=type, source="crm", data={"value": value})


class Recorder:
    """A handler that fails its first `failures` deliveries of each message, then succeeds."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.deliveries: list[Envelope] = []
        self.handled: list[Envelope] = []

    async def __call__(self, envelope: Envelope) -> None:
        self.deliveries.append(envelope)
        if sum(seen.id == envelope.id for seen in self.deliveries) <= self.failures:
            raise RuntimeError("not yet")
        self.handled.append(envelope)


@pytest.fixture
async def bus() -> AsyncIterator[InMemoryBus]:
    bus = InMemoryBus(namespace="unit", delivery_limit=3)
    await bus.start()
    yield bus
    await bus.close()


async def test_handled_message_is_delivered_once(bus: InMemoryBus) -> None:
    recorder = Recorder()
    await bus.consume("crm.events", [EVENT], recorder)

    await bus.publish([event(1).outgoing(), event(2).outgoing()])

    await eventually(lambda: len(recorder.handled) == 2, within=2)
    await asyncio.sleep(0)  # let any wrongful redelivery surface
    assert sorted(e.data["value"] for e in recorder.deliveries) == [1, 2]
    assert await bus.dead_letters("crm.events") == []


async def test_failing_message_is_redelivered_until_it_succeeds(bus: InMemoryBus) -> None:
    recorder = Recorder(failures=2)  # below the limit of 3
    await bus.consume("crm.events", [EVENT], recorder)
    message = event()

    await bus.publish([message.outgoing()])

    await eventually(lambda: len(recorder.handled) == 1, within=2)
    assert [e.id for e in recorder.deliveries] == [message.id] * 3
    assert await bus.dead_letters("crm.events") == []


async def test_message_is_dead_lettered_after_delivery_limit_deliveries(bus: InMemoryBus) -> None:
    recorder = Recorder(failures=10)
    await bus.consume("crm.events", [EVENT], recorder)
    message = event()

    await bus.publish([message.outgoing()])

    await eventually(lambda: len(recorder.deliveries) >= 3, within=2)
    assert await bus.dead_letters("crm.events") == [message.encode()]
    assert len(recorder.deliveries) == 3
    assert recorder.handled == []


async def test_unparsable_body_is_dead_lettered_without_reaching_the_handler(bus: InMemoryBus) -> None:
    recorder = Recorder()
    await bus.consume("crm.events", [EVENT], recorder)

    bus.publish_raw(EVENT, b"\xff not json")
    bus.publish_raw(EVENT, b'{"type": "crm.visit.recorded"}')  # JSON, but not an envelope

    dead: list[bytes] = []

    async def drained() -> bool:
        dead.extend(await bus.dead_letters("crm.events"))
        return len(dead) == 2

    await eventually(drained, within=2)
    assert dead == [b"\xff not json", b'{"type": "crm.visit.recorded"}']
    assert recorder.deliveries == []


async def test_dead_letters_are_drained(bus: InMemoryBus) -> None:
    await bus.consume("crm.events", [EVENT], Recorder())
    bus.publish_raw(EVENT, b"junk")

    await eventually(lambda: bus.dead_letters("crm.events"), within=2)  # drained here...
    assert await bus.dead_letters("crm.events") == []  # ...so nothing is left
    assert await bus.dead_letters("never.consumed") == []


async def test_messages_are_routed_by_binding(bus: InMemoryBus) -> None:
    crm, marketplace = Recorder(), Recorder()
    await bus.consume("crm.events", ["promotions.#"], crm)
    await bus.consume("marketplace.events", ["*.purchase.completed", "crm.visit.recorded"], marketplace)

    await bus.publish(
        [
            event(1, "promotions.purchase.completed").outgoing(),
            event(2, "promotions.store.created").outgoing(),
            event(3, "crm.visit.recorded").outgoing(),
            event(4, "readings.file.ingested").outgoing(),  # bound by nobody: dropped
        ]
    )

    await eventually(lambda: len(crm.handled) == 2 and len(marketplace.handled) == 2, within=2)
    assert sorted(e.data["value"] for e in crm.handled) == [1, 2]
    assert sorted(e.data["value"] for e in marketplace.handled) == [1, 3]


async def test_message_in_flight_at_close_is_kept_for_the_next_consumer() -> None:
    bus = InMemoryBus(delivery_limit=3)
    await bus.start()
    started, release = asyncio.Event(), asyncio.Event()

    async def slow(_: Envelope) -> None:
        started.set()
        await release.wait()

    await bus.consume("crm.events", [EVENT], slow)
    message = event()
    await bus.publish([message.outgoing()])
    await asyncio.wait_for(started.wait(), timeout=2)
    await bus.close()  # cancels the handler mid-message: as on a broker, it was never acked

    recorder = Recorder()
    await bus.start()
    await bus.consume("crm.events", [EVENT], recorder)
    await eventually(lambda: len(recorder.handled) == 1, within=2)
    assert recorder.handled[0].id == message.id
    await bus.close()


async def test_is_ready_follows_start_and_close() -> None:
    bus = InMemoryBus()
    assert not bus.is_ready()
    await bus.start()
    assert bus.is_ready()
    await bus.close()
    assert not bus.is_ready()
