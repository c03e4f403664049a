"""Consuming a RabbitMQ queue in batches: deliveries gathered, handled together, acked with one frame.

The channel's deliveries go to `on_message`, which only decodes and gathers them; one task takes
them in batches, one batch at a time, so that every delivery tag below a batch's last one is settled
by then and a single `basic.ack` with `multiple` acknowledges exactly that batch.
"""

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Sequence

from aio_pika.abc import AbstractIncomingMessage
from aio_pika.exceptions import ChannelInvalidStateError

from quintet_shared.bus import BatchHandler
from quintet_shared.bus.batching import failures_of
from quintet_shared.envelope import Envelope, InvalidMessage

log = logging.getLogger(__name__)

_Delivery = tuple[AbstractIncomingMessage, Envelope]


class BatchConsumer:
    def __init__(self, handler: BatchHandler, *, batch_size: int, batch_wait: float) -> None:
        self.handler = handler
        self.batch_size = batch_size
        self.batch_wait = batch_wait
        self._pending: deque[tuple[float, _Delivery]] = deque()
        self._arrived = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Stop handling: what is gathered or mid-batch stays unacked, and the broker delivers it again."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        self._pending.clear()

    async def on_message(self, message: AbstractIncomingMessage) -> None:
        """The channel's consumer callback. It never awaits before gathering, so order is kept."""
        envelope = await decoded_or_dead_lettered(message)
        if envelope is None:
            return
        self._pending.append((asyncio.get_running_loop().time(), (message, envelope)))
        self._arrived.set()

    async def _run(self) -> None:
        while True:
            batch = await self._next_batch()
            failed = await failures_of(self.handler, [envelope for _, envelope in batch])
            await _settle_batch([message for message, _ in batch], failed)

    async def _next_batch(self) -> list[_Delivery]:
        """Up to `batch_size` deliveries: those gathered, and those arriving within `batch_wait` of the oldest."""
        while not self._pending:
            self._arrived.clear()
            await self._arrived.wait()
        loop = asyncio.get_running_loop()
        deadline = self._pending[0][0] + self.batch_wait
        while len(self._pending) < self.batch_size and (remaining := deadline - loop.time()) > 0:
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), remaining)
        return [self._pending.popleft()[1] for _ in range(min(self.batch_size, len(self._pending)))]


async def _settle_batch(messages: Sequence[AbstractIncomingMessage], failed: set[int]) -> None:
    if not failed:
        # One ack per channel: after a reconnection a batch may hold deliveries of the old channel
        # too (their acks fail, and the broker has already put them back).
        last_per_channel = {_channel_of(message): message for message in messages}
        for channel, message in last_per_channel.items():
            if channel is not None:
                await settle(message.ack(multiple=True))
        return
    for position, message in enumerate(messages):
        # Requeued, the quorum queue counts the delivery and dead-letters it past the limit.
        await settle(message.nack(requeue=True) if position in failed else message.ack())


def _channel_of(message: AbstractIncomingMessage) -> int | None:
    try:
        return id(message.channel)
    except ChannelInvalidStateError:
        return None  # closed: nothing can be acked on it any more


async def decoded_or_dead_lettered(message: AbstractIncomingMessage) -> Envelope | None:
    """The message's envelope; None when it is not one, after rejecting it to the dead-letter queue."""
    try:
        return Envelope.decode(message.body)
    except InvalidMessage:
        log.warning("unparsable message sent to the dead-letter queue", extra={"message_id": message.message_id})
        await settle(message.reject(requeue=False))
        return None


async def settle(settlement: Awaitable[None]) -> None:
    # Acks ride on the channel that delivered the message. If it closed meanwhile, the broker has
    # already put the message back and will deliver it again: the inbox makes that harmless.
    try:
        await settlement
    except Exception:
        log.warning("could not settle a message; the broker will redeliver it", exc_info=True)
