"""Both bus transports behind one face, so that a contract test runs unchanged on each.

Also the broker-side tools such tests need: raw publishing, draining a dead-letter queue, restarting
the local broker, and deleting a test's queues and exchanges afterwards.
"""

import asyncio
import shutil
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import aio_pika
import pytest

from quintet_shared.bus import BatchHandler, Bus, Handler
from quintet_shared.bus.memory import InMemoryBus
from quintet_shared.testing import servers


async def eventually(condition: Callable[[], object], *, within: float = 15.0, interval: float = 0.02) -> None:
    """Poll `condition` (sync or async) until it is true; fail after `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        result = condition()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {within} s")
        await asyncio.sleep(interval)


@dataclass
class BusUnderTest:
    bus: Bus
    delivery_limit: int
    amqp_url: str | None = None  # None for the in-process bus
    queues: set[str] = field(default_factory=set)

    async def consume(self, queue: str, bindings: list[str], handler: Handler) -> None:
        self.queues.add(queue)  # remembered so that cleanup deletes it from the broker
        await self.bus.consume(queue, bindings, handler)

    async def consume_batches(self, queue: str, bindings: list[str], handler: BatchHandler) -> None:
        self.queues.add(queue)
        await self.bus.consume_batches(queue, bindings, handler)

    async def publish_raw(self, routing_key: str, body: bytes) -> None:
        """Put arbitrary bytes on the exchange, as a foreign or broken producer would."""
        if isinstance(self.bus, InMemoryBus):
            self.bus.publish_raw(routing_key, body)
            return
        assert self.amqp_url is not None
        async with await aio_pika.connect(self.amqp_url) as connection:
            channel = await connection.channel()
            exchange = await channel.get_exchange(self.bus.topology.exchange)
            message = aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT)
            await exchange.publish(message, routing_key, mandatory=True)

    async def dead_letters(self, queue: str, *, count: int, within: float = 15.0) -> list[bytes]:
        """Drain the DLQ until `count` bodies have arrived (dead-lettering is asynchronous)."""
        bodies: list[bytes] = []

        async def arrived() -> bool:
            bodies.extend(await self.bus.dead_letters(queue))
            return len(bodies) >= count

        await eventually(arrived, within=within)
        return bodies

    async def drain_unrouted(self, *, within: float = 5.0) -> list[bytes]:
        """The events the broker kept because no queue was bound to them (RabbitMQ only)."""
        assert self.amqp_url is not None
        bodies: list[bytes] = []
        async with await aio_pika.connect(self.amqp_url) as connection:
            channel = await connection.channel()
            queue = await channel.get_queue(self.bus.topology.unrouted_exchange)

            async def arrived() -> bool:
                while (message := await queue.get(no_ack=True, fail=False)) is not None:
                    bodies.append(message.body)
                return bool(bodies)

            await eventually(arrived, within=within)
        return bodies

    async def delete_queue(self, queue: str) -> None:
        """Delete `queue` on the broker under its consumers, as an operator's mistake would."""
        assert self.amqp_url is not None
        async with await aio_pika.connect(self.amqp_url) as connection:
            channel = await connection.channel()
            await channel.queue_delete(self.bus.topology.queue(queue))

    async def queue_consumers(self, queue: str) -> int:
        """How many consumers the broker counts on `queue` (0 when it does not exist)."""
        assert self.amqp_url is not None
        async with await aio_pika.connect(self.amqp_url) as connection:
            channel = await connection.channel()
            try:
                declared = await channel.declare_queue(self.bus.topology.queue(queue), passive=True)
            except aio_pika.exceptions.ChannelNotFoundEntity:
                return 0
            return declared.declaration_result.consumer_count or 0

    async def restart_broker(self) -> None:
        """Stop and start the local broker's application, as an operator's restart would."""
        if self.amqp_url is None or urlsplit(self.amqp_url).hostname not in {"127.0.0.1", "localhost"}:
            servers.unavailable("restarting the broker needs a RabbitMQ on this machine")
        if shutil.which("rabbitmqctl") is None:
            servers.unavailable("restarting the broker needs rabbitmqctl")
        await _rabbitmqctl("stop_app")
        try:
            await eventually(lambda: not self.bus.is_ready())
        finally:
            # Always brought back, whatever happened: other tests on this machine share the broker.
            await _rabbitmqctl("start_app")
            await _rabbitmqctl("await_startup")

    async def cleanup(self) -> None:
        if self.amqp_url is None:
            return
        topology = self.bus.topology
        async with await aio_pika.connect(self.amqp_url) as connection:
            channel = await connection.channel()
            for queue in self.queues:
                await channel.queue_delete(topology.queue(queue))
                await channel.queue_delete(topology.dead_letter_queue(queue))
            await channel.queue_delete(topology.unrouted_exchange)
            await channel.exchange_delete(topology.exchange)
            await channel.exchange_delete(topology.dead_letter_exchange)
            await channel.exchange_delete(topology.unrouted_exchange)


@asynccontextmanager
async def started(under_test: BusUnderTest) -> AsyncIterator[BusUnderTest]:
    """Start the bus; afterwards close it and delete what the test declared on the broker."""
    await under_test.bus.start()
    try:
        yield under_test
    finally:
        await under_test.bus.close()
        await under_test.cleanup()


async def _rabbitmqctl(command: str) -> None:
    process = await asyncio.create_subprocess_exec(
        "rabbitmqctl", command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=120)
    if process.returncode != 0:
        pytest.fail(f"rabbitmqctl {command} failed: {output.decode(errors='replace')}")
