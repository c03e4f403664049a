"""The RabbitMQ transport (ARCHITECTURE.md §7) on aio-pika's robust connection.

One channel publishes (confirms on, unroutable messages returned as errors) and one channel per
consumed queue consumes, so a prefetch window and a channel error stay local to one queue. After a
broker restart the robust connection reconnects and each robust channel re-declares its exchanges
and queues, and the consumers register again (`bus.rabbit_deliveries`); the broker-restart contract
test holds us to that.

Messages themselves go through the aiormq channel beneath each robust channel, without aio-pika's
per-message objects: on a two-core machine that per-message Python is what the broker's speed is
lost to (bench/events.py).
"""

import asyncio
import logging
from collections.abc import Sequence
from functools import partial

import aio_pika
from aio_pika.abc import AbstractExchange, AbstractRobustChannel, AbstractRobustConnection, AbstractRobustQueue
from pamqp.commands import Basic

from quintet_shared.bus import BatchHandler, Handler, PublishError, Topology
from quintet_shared.bus.rabbit_batches import BatchConsumer
from quintet_shared.bus.rabbit_deliveries import (
    Delivery,
    OnDelivery,
    QueueConsumer,
    ack,
    decoded_or_dead_lettered,
    requeue,
)
from quintet_shared.bus.rabbit_topology import declare_exchanges, declare_queue
from quintet_shared.busy import failure_level
from quintet_shared.envelope import Outgoing

log = logging.getLogger(__name__)


class RabbitBus:
    def __init__(
        self,
        url: str,
        *,
        namespace: str = "",
        delivery_limit: int = 5,
        prefetch: int = 200,
        batch_size: int = 100,
        batch_wait: float = 0.005,
        max_in_flight: int = 200,
        publish_timeout: float = 30.0,
        reconnect_interval: float = 1.0,
    ) -> None:
        self.url = url
        self.topology = Topology(namespace)
        self.delivery_limit = delivery_limit
        self.prefetch = prefetch
        self.batch_size = batch_size
        self.batch_wait = batch_wait
        self.max_in_flight = max_in_flight
        self.publish_timeout = publish_timeout
        self.reconnect_interval = reconnect_interval
        self._connection: AbstractRobustConnection | None = None
        self._publisher: AbstractRobustChannel | None = None
        self._exchange: AbstractExchange | None = None
        self._consumers: list[AbstractRobustChannel] = []
        self._batch_consumers: list[BatchConsumer] = []

    async def start(self) -> None:
        if self._connection is not None:
            return
        connection = await aio_pika.connect_robust(self.url, reconnect_interval=self.reconnect_interval)
        try:
            channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
            exchange, _ = await declare_exchanges(channel, self.topology)
        except BaseException:
            await connection.close()
            raise
        self._connection, self._publisher, self._exchange = connection, channel, exchange

    async def close(self) -> None:
        # Batches stop first, so that none is handled on a closing connection; their messages were
        # not acked and the broker delivers them again.
        batch_consumers, self._batch_consumers = self._batch_consumers, []
        for consumer in batch_consumers:
            await consumer.stop()
        connection, self._connection, self._publisher, self._exchange = self._connection, None, None, None
        self._consumers.clear()
        if connection is not None:
            await connection.close()

    def is_ready(self) -> bool:
        """Connected, and every channel open again (after a reconnection channels reopen one by one)."""
        connection = self._connection
        if connection is None or connection.is_closed or not connection.connected.is_set():
            return False
        channels = [self._publisher, *self._consumers]
        return all(channel is not None and not channel.is_closed for channel in channels)

    async def publish(self, messages: Sequence[Outgoing]) -> None:
        publisher, exchange = self._publisher, self._exchange
        if publisher is None or exchange is None:
            raise PublishError("the bus is not started")
        window = asyncio.Semaphore(self.max_in_flight)

        async def confirmed(message: Outgoing) -> None:
            async with window:
                # The timeout also covers waiting for a channel that is being reopened.
                async with asyncio.timeout(self.publish_timeout):
                    channel = await publisher.get_underlay_channel()
                    confirmation = await channel.basic_publish(
                        message.body,
                        exchange=exchange.name,
                        routing_key=message.type,
                        properties=_properties(message),
                        mandatory=True,
                    )
                    if not isinstance(confirmation, Basic.Ack):
                        raise PublishError(f"the broker answered {type(confirmation).__name__}")

        # Confirms are awaited concurrently: one at a time caps a relay near a thousand messages a
        # second (MEASURED.md). gather collects every failure rather than stopping at the first.
        results = await asyncio.gather(*(confirmed(message) for message in messages), return_exceptions=True)
        failures = [(m, r) for m, r in zip(messages, results, strict=True) if isinstance(r, BaseException)]
        if failures:
            unconfirmed = [message.message_id for message, _ in failures]
            error = PublishError(f"{len(failures)} of {len(messages)} messages not confirmed", unconfirmed=unconfirmed)
            raise error from failures[0][1]

    async def consume(
        self, queue: str, bindings: Sequence[str], handler: Handler, *, prefetch: int | None = None
    ) -> None:
        await self._subscribe(queue, bindings, partial(_deliver, handler), prefetch or self.prefetch)

    async def consume_batches(
        self, queue: str, bindings: Sequence[str], handler: BatchHandler, *, prefetch: int | None = None
    ) -> None:
        window = prefetch or self.prefetch
        # A batch at most half the window: the next batch arrives while this one is handled.
        batch_size = max(1, min(self.batch_size, window // 2))
        consumer = BatchConsumer(handler, batch_size=batch_size, batch_wait=self.batch_wait)
        consumer.start()
        self._batch_consumers.append(consumer)
        await self._subscribe(queue, bindings, consumer.on_delivery, window)

    async def _subscribe(
        self,
        queue: str,
        bindings: Sequence[str],
        on_delivery: OnDelivery,
        prefetch: int,
    ) -> None:
        if self._connection is None:
            raise RuntimeError("the bus is not started")
        channel = await self._connection.channel(publisher_confirms=False)
        await channel.set_qos(prefetch_count=prefetch)
        amqp_queue = await declare_queue(
            channel, self.topology, queue, delivery_limit=self.delivery_limit, bindings=list(bindings)
        )
        assert isinstance(amqp_queue, AbstractRobustQueue)  # declared on a robust channel
        await QueueConsumer(channel, amqp_queue, on_delivery).start()
        self._consumers.append(channel)

    async def dead_letters(self, queue: str) -> list[bytes]:
        if self._connection is None:
            raise RuntimeError("the bus is not started")
        bodies: list[bytes] = []
        channel = await self._connection.channel(publisher_confirms=False)
        try:
            try:
                dlq = await channel.declare_queue(self.topology.dead_letter_queue(queue), passive=True, robust=False)
            except aio_pika.exceptions.ChannelNotFoundEntity:
                return bodies  # never consumed, so nothing was ever dead-lettered
            while (message := await dlq.get(no_ack=True, fail=False)) is not None:
                bodies.append(message.body)
        finally:
            await channel.close()
        return bodies


def _properties(message: Outgoing) -> Basic.Properties:
    return Basic.Properties(
        message_id=str(message.message_id),
        message_type=message.type,
        content_type="application/json",
        delivery_mode=2,  # persistent
    )


async def _deliver(handler: Handler, delivery: Delivery) -> None:
    envelope = await decoded_or_dead_lettered(delivery)
    if envelope is None:
        return
    try:
        await handler(envelope)
    except Exception as exc:
        extra = {"event_type": envelope.type, "message_id": delivery.message_id}
        log.log(failure_level(exc), "handler failed", exc_info=True, extra=extra)  # busy: a warning
        await requeue(delivery)
        return
    await ack(delivery)
