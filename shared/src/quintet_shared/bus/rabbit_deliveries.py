"""Deliveries taken straight from the aiormq channel beneath a robust aio-pika channel.

aio-pika wraps every delivery in an `IncomingMessage` and runs the callback in a task of its own:
profiled, that costs about as much as everything else a consumer does with a message (a bare consume
loop spends 131 µs of CPU a message through aio-pika, 78 µs on aiormq alone). A consumer here takes
the delivery as aiormq hands it over: the channel, the delivery tag and the body.

aio-pika's robust channel still owns the channel's life: after a reconnection it reopens it, restores
its prefetch and re-declares its queue and bindings, and then, from its reopen callbacks, the
consumer is registered again on the new channel. A consumer the broker cancels (its queue was
deleted) declares its queue and bindings again and registers once more.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple

from aio_pika.abc import AbstractRobustChannel, AbstractRobustQueue
from aiormq.abc import AbstractChannel, DeliveredMessage
from pamqp import commands

from quintet_shared.envelope import Envelope, InvalidMessage

log = logging.getLogger(__name__)


class Delivery(NamedTuple):
    channel: AbstractChannel
    tag: int
    message_id: str | None
    body: bytes


OnDelivery = Callable[[Delivery], Awaitable[None]]


class QueueConsumer:
    """Hands each delivery of `queue` to `on_delivery`, on whichever channel currently carries it."""

    def __init__(
        self, channel: AbstractRobustChannel, queue: AbstractRobustQueue, on_delivery: OnDelivery, *, retry: float = 1.0
    ) -> None:
        self.channel = channel
        self.queue = queue
        self.on_delivery = on_delivery
        self.retry = retry
        self._tags: set[str] = set()
        self._recovery: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.channel.reopen_callbacks.add(self._reopened)
        await self._register()

    async def _register(self) -> None:
        underlay = await self.channel.get_underlay_channel()
        underlay.on_consumer_cancel_callbacks.add(self._cancelled)
        ok = await underlay.basic_consume(self.queue.name, self._deliver)
        if ok.consumer_tag is not None:
            self._tags.add(ok.consumer_tag)

    async def _reopened(self, *_: Any) -> None:
        await self._register()

    def _cancelled(self, frame: commands.Basic.Cancel) -> None:
        # Called from the channel's frame reader: anything that waits for the broker's answer runs
        # in a task of its own, or it would wait for the reader that is waiting for it.
        if frame.consumer_tag not in self._tags:
            return
        self._tags.discard(frame.consumer_tag)
        log.warning("the broker cancelled the consumer of %s; declaring it again", self.queue.name)
        if self._recovery is None or self._recovery.done():
            self._recovery = asyncio.create_task(self._recover())

    async def _recover(self) -> None:
        while not self.channel.is_closed:
            try:
                await self.queue.restore()
                await self._register()
                return
            except Exception:
                log.warning("could not consume %s again; retrying", self.queue.name, exc_info=True)
                await asyncio.sleep(self.retry)

    async def _deliver(self, message: DeliveredMessage) -> None:
        # aiormq runs each delivery in a task created in arrival order; a callback that does not
        # await before handing the delivery on keeps that order.
        tag = message.delivery_tag
        if tag is None:
            return
        await self.on_delivery(Delivery(message.channel, tag, message.header.properties.message_id, message.body))


async def decoded_or_dead_lettered(delivery: Delivery) -> Envelope | None:
    """The delivery's envelope; None when it is not one, after rejecting it to the dead-letter queue."""
    try:
        return Envelope.decode(delivery.body)
    except InvalidMessage:
        log.warning("unparsable message sent to the dead-letter queue", extra={"message_id": delivery.message_id})
        await settle(delivery.channel.basic_reject(delivery.tag, requeue=False))
        return None


async def ack(delivery: Delivery, *, multiple: bool = False) -> None:
    await settle(delivery.channel.basic_ack(delivery.tag, multiple=multiple))


async def requeue(delivery: Delivery) -> None:
    # Requeued, the quorum queue counts the delivery and dead-letters it past the limit.
    await settle(delivery.channel.basic_nack(delivery.tag, requeue=True))


async def settle(settlement: Awaitable[Any]) -> None:
    # Acks ride on the channel that delivered the message. If it closed meanwhile, the broker has
    # already put the message back and will deliver it again: the inbox makes that harmless.
    try:
        await settlement
    except Exception:
        log.warning("could not settle a message; the broker will redeliver it", exc_info=True)
