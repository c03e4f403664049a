"""One bus interface, two transports: RabbitMQ (`bus.rabbit`) and in-process (`bus.memory`).

Semantics both transports keep (the contract tests in shared/tests run against both):
- `publish` returns only once every message is safely held by the broker (publisher confirms);
  it raises `PublishError` otherwise, and the caller (the outbox relay) retries later.
- A handler that returns has its message acked; one that raises has it redelivered, and after
  `delivery_limit` deliveries it goes to the queue's dead-letter queue. A body that is not a valid
  envelope goes to the dead-letter queue at once.
- `consume_batches` hands its handler the messages that have arrived, in delivery order: up to
  `batch_size` of them, or whatever came within `batch_wait` seconds of the oldest. A handler that
  returns has the whole batch acked at once; one that raises has each message of the batch handed
  to it again alone (`bus.batching`), so that only the message that fails alone is redelivered.
"""

from collections.abc import Awaitable, Callable, Collection, Sequence
from typing import Protocol
from uuid import UUID

from quintet_shared.envelope import Envelope, Outgoing

Handler = Callable[[Envelope], Awaitable[None]]
BatchHandler = Callable[[Sequence[Envelope]], Awaitable[None]]


class PublishError(RuntimeError):
    """The broker did not confirm some messages: those may not be marked as sent.

    `unconfirmed` names them when the transport knows which; None means any of them, so none may be
    marked. The others of the batch were confirmed and are safely held by the broker.
    """

    def __init__(self, message: str, *, unconfirmed: Collection[UUID] | None = None) -> None:
        super().__init__(message)
        self.unconfirmed = frozenset(unconfirmed) if unconfirmed is not None else None


class Topology:
    """Names of the exchanges and queues (ARCHITECTURE.md §7), under an optional namespace so that
    tests and parallel environments can share one broker without seeing each other's messages."""

    def __init__(self, namespace: str = "") -> None:
        self.prefix = f"{namespace}." if namespace else ""

    @property
    def exchange(self) -> str:
        return f"{self.prefix}quintet.events"

    @property
    def unrouted_exchange(self) -> str:
        return f"{self.prefix}quintet.events.unrouted"

    @property
    def dead_letter_exchange(self) -> str:
        return f"{self.prefix}quintet.events.dlx"

    def queue(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def dead_letter_queue(self, name: str) -> str:
        return f"{self.prefix}{name}.dlq"


class Bus(Protocol):
    topology: Topology

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    def is_ready(self) -> bool: ...

    async def publish(self, messages: Sequence[Outgoing]) -> None: ...

    async def consume(
        self, queue: str, bindings: Sequence[str], handler: Handler, *, prefetch: int | None = None
    ) -> None:
        """Declare `queue` (and its DLQ), bind it to `bindings` and start handling its messages.

        `prefetch` caps the messages held unacknowledged (default: the bus's own); a queue of long
        jobs wants it near the runner's concurrency, so that idle replicas get the rest."""
        ...

    async def consume_batches(
        self, queue: str, bindings: Sequence[str], handler: BatchHandler, *, prefetch: int | None = None
    ) -> None:
        """As `consume`, but `handler` takes the messages in batches (see the module's docstring):
        for consumers whose cost is per transaction rather than per message, such as the inbox."""
        ...

    async def dead_letters(self, queue: str) -> list[bytes]:
        """Drain and return the raw bodies in `queue`'s dead-letter queue (operators and tests)."""
        ...
