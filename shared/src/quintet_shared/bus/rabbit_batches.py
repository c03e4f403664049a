"""Consuming a RabbitMQ queue in batches: deliveries gathered, handled together, acked with one frame.

The channel's deliveries go to `on_delivery`, which only decodes and gathers them; one task takes
them in batches, one batch at a time, so that every delivery tag below a batch's last one is settled
by then and a single `basic.ack` with `multiple` acknowledges exactly that batch.
"""

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Sequence

from quintet_shared.bus import BatchHandler
from quintet_shared.bus.batching import failures_of
from quintet_shared.bus.rabbit_deliveries import Delivery, ack, decoded_or_dead_lettered, requeue
from quintet_shared.envelope import Envelope

log = logging.getLogger(__name__)

_Gathered = tuple[Delivery, Envelope]


class BatchConsumer:
    def __init__(self, handler: BatchHandler, *, batch_size: int, batch_wait: float) -> None:
        self.handler = handler
        self.batch_size = batch_size
        self.batch_wait = batch_wait
        self._pending: deque[tuple[float, _Gathered]] = deque()
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

    async def on_delivery(self, delivery: Delivery) -> None:
        """The channel's consumer callback. It never awaits before gathering, so order is kept."""
        envelope = await decoded_or_dead_lettered(delivery)
        if envelope is None:
            return
        self._pending.append((asyncio.get_running_loop().time(), (delivery, envelope)))
        self._arrived.set()

    async def _run(self) -> None:
        while True:
            batch = await self._next_batch()
            failed = await failures_of(self.handler, [envelope for _, envelope in batch])
            await _settle_batch([delivery for delivery, _ in batch], failed)

    async def _next_batch(self) -> list[_Gathered]:
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


async def _settle_batch(deliveries: Sequence[Delivery], failed: set[int]) -> None:
    if not failed:
        # One ack per channel: after a reconnection a batch may hold deliveries of the old channel
        # too (their acks fail, and the broker has already put them back).
        last_per_channel = {id(delivery.channel): delivery for delivery in deliveries}
        for delivery in last_per_channel.values():
            if not delivery.channel.is_closed:
                await ack(delivery, multiple=True)
        return
    for position, delivery in enumerate(deliveries):
        await (requeue(delivery) if position in failed else ack(delivery))
