"""The in-process bus of embedded mode: RabbitMQ's routing and delivery semantics, in memory.

Messages travel encoded, exactly as on RabbitMQ, so a payload that would not survive the wire does
not survive here either. What it cannot give is durability across a process restart: the outbox
keeps the producer side safe, but a message queued in memory dies with the process.
"""

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from quintet_shared.bus import BatchHandler, Handler, Topology
from quintet_shared.bus.batching import failures_of
from quintet_shared.bus.topic import matches
from quintet_shared.busy import failure_level
from quintet_shared.envelope import Envelope, InvalidMessage, Outgoing

log = logging.getLogger(__name__)


@dataclass
class _Queue:
    bindings: list[str]
    messages: asyncio.Queue[tuple[bytes, int]] = field(default_factory=asyncio.Queue)
    dead: list[bytes] = field(default_factory=list)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)


class InMemoryBus:
    def __init__(
        self,
        *,
        namespace: str = "",
        delivery_limit: int = 5,
        concurrency: int = 4,
        batch_size: int = 100,
        batch_wait: float = 0.005,
    ) -> None:
        self.topology = Topology(namespace)
        self.delivery_limit = delivery_limit
        self.concurrency = concurrency
        self.batch_size = batch_size
        self.batch_wait = batch_wait
        self._queues: dict[str, _Queue] = {}
        self._started = False

    async def start(self) -> None:
        self._started = True

    async def close(self) -> None:
        for queue in self._queues.values():
            for task in queue.tasks:
                task.cancel()
            await asyncio.gather(*queue.tasks, return_exceptions=True)
            queue.tasks.clear()
        self._started = False

    def is_ready(self) -> bool:
        return self._started

    async def publish(self, messages: Sequence[Outgoing]) -> None:
        for message in messages:
            self.publish_raw(message.type, message.body)

    def publish_raw(self, routing_key: str, body: bytes) -> None:
        for queue in self._queues.values():
            if any(matches(binding, routing_key) for binding in queue.bindings):
                queue.messages.put_nowait((body, 0))

    async def consume(
        self, queue: str, bindings: Sequence[str], handler: Handler, *, prefetch: int | None = None
    ) -> None:
        state = self._queues.setdefault(self.topology.queue(queue), _Queue(bindings=[]))
        state.bindings.extend(b for b in bindings if b not in state.bindings)
        # In one process, prefetch is how many messages are handled at once.
        for _ in range(min(prefetch or self.concurrency, self.concurrency)):
            state.tasks.append(asyncio.create_task(self._deliver(state, handler)))

    async def consume_batches(
        self, queue: str, bindings: Sequence[str], handler: BatchHandler, *, prefetch: int | None = None
    ) -> None:
        state = self._queues.setdefault(self.topology.queue(queue), _Queue(bindings=[]))
        state.bindings.extend(b for b in bindings if b not in state.bindings)
        # One task: batches of one queue are handled one after another, as on RabbitMQ.
        size = min(prefetch or self.batch_size, self.batch_size)
        state.tasks.append(asyncio.create_task(self._deliver_batches(state, handler, size)))

    async def dead_letters(self, queue: str) -> list[bytes]:
        state = self._queues.get(self.topology.queue(queue))
        if state is None:
            return []
        drained, state.dead = state.dead, []
        return drained

    async def _deliver(self, queue: _Queue, handler: Handler) -> None:
        while True:
            body, deliveries = await queue.messages.get()
            try:
                envelope = Envelope.decode(body)
            except InvalidMessage:
                log.warning("unparsable message sent to the dead-letter queue")
                queue.dead.append(body)
                continue
            try:
                await handler(envelope)
            except asyncio.CancelledError:
                queue.messages.put_nowait((body, deliveries))
                raise
            except Exception as exc:
                deliveries += 1
                extra = {"event_type": envelope.type, "deliveries": deliveries}
                log.log(failure_level(exc), "handler failed", exc_info=True, extra=extra)  # busy: a warning
                if deliveries >= self.delivery_limit:
                    queue.dead.append(body)
                else:
                    queue.messages.put_nowait((body, deliveries))

    async def _deliver_batches(self, queue: _Queue, handler: BatchHandler, size: int) -> None:
        while True:
            batch: list[tuple[bytes, int]] = []
            try:
                await self._collect(queue, size, batch)
                envelopes = self._decoded(queue, batch)
                failed = await failures_of(handler, [envelope for envelope, _ in envelopes]) if envelopes else set()
            except asyncio.CancelledError:
                # Stopped mid-batch: nothing of it was acked, so all of it is delivered again.
                for item in batch:
                    queue.messages.put_nowait(item)
                raise
            for position in sorted(failed):
                body, deliveries = envelopes[position][1]
                if deliveries + 1 >= self.delivery_limit:
                    queue.dead.append(body)
                else:
                    queue.messages.put_nowait((body, deliveries + 1))

    async def _collect(self, queue: _Queue, size: int, batch: list[tuple[bytes, int]]) -> None:
        """Into `batch`: the first message to arrive, then those that follow within `batch_wait`, up to `size`."""
        batch.append(await queue.messages.get())
        deadline = asyncio.get_running_loop().time() + self.batch_wait
        while len(batch) < size:
            if not queue.messages.empty():
                batch.append(queue.messages.get_nowait())
                continue
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                return
            # asyncio.wait, not wait_for: a get cancelled by the timeout never takes a message with it.
            getter = asyncio.ensure_future(queue.messages.get())
            try:
                done, _ = await asyncio.wait({getter}, timeout=remaining)
            except asyncio.CancelledError:
                if getter.done() and not getter.cancelled():
                    batch.append(getter.result())  # taken from the queue: the caller puts it back
                getter.cancel()
                raise
            if not done:
                getter.cancel()
                return
            batch.append(getter.result())

    def _decoded(self, queue: _Queue, batch: list[tuple[bytes, int]]) -> list[tuple[Envelope, tuple[bytes, int]]]:
        """The batch's valid envelopes, each with its queue item; the others go to the dead letters."""
        envelopes: list[tuple[Envelope, tuple[bytes, int]]] = []
        kept: list[tuple[bytes, int]] = []
        for item in batch:
            try:
                envelopes.append((Envelope.decode(item[0]), item))
                kept.append(item)
            except InvalidMessage:
                log.warning("unparsable message sent to the dead-letter queue")
                queue.dead.append(item[0])
        batch[:] = kept  # settled at once: not put back if the batch is stopped
        return envelopes
