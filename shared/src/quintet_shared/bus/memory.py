"""The in-process bus of embedded mode: RabbitMQ's routing and delivery semantics, in memory.

Messages travel encoded, exactly as on RabbitMQ, so a payload that would not survive the wire does
not survive here either. What it cannot give is durability across a process restart: the outbox
keeps the producer side safe, but a message queued in memory dies with the process.
"""

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from quintet_shared.bus import Handler, Topology
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
    def __init__(self, *, namespace: str = "", delivery_limit: int = 5, concurrency: int = 4) -> None:
        self.topology = Topology(namespace)
        self.delivery_limit = delivery_limit
        self.concurrency = concurrency
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
