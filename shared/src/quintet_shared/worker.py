"""The worker of one component: event consumers, job runner, outbox relay and schedules.

The same class runs as its own process in distributed mode (`<name> worker`) and as a set of tasks
inside the single process of embedded mode.
"""

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlmodel import Session

from quintet_shared.bus import BatchHandler, Handler
from quintet_shared.bus.memory import InMemoryBus
from quintet_shared.component import ComponentDefinition
from quintet_shared.envelope import Envelope
from quintet_shared.inbox import idempotent_handler
from quintet_shared.jobs import JobRunner, purge_expired_jobs
from quintet_shared.metrics import Metrics
from quintet_shared.outbox import OutboxRelay, purge_sent
from quintet_shared.runtime import Runtime
from quintet_shared.schedules import Periodic, Scheduler
from quintet_shared.settings import ComponentSettings

log = logging.getLogger(__name__)


def housekeeping(settings: ComponentSettings) -> list[Periodic]:
    """Schedules every component runs: purging sent outbox rows and expired job details."""

    def purge_outbox(session: Session, slot: datetime) -> None:
        purge_sent(session, older_than=slot - timedelta(days=settings.outbox_retention_days))

    def purge_jobs(session: Session, slot: datetime) -> None:
        purge_expired_jobs(session, now=slot, retention=timedelta(days=settings.job_retention_days))

    return [
        Periodic("kit.outbox.purge", timedelta(hours=1), purge_outbox),
        Periodic("kit.jobs.purge", timedelta(hours=1), purge_jobs),
    ]


def counted(handler: Handler, queue: str, metrics: Metrics) -> Handler:
    """`handler`, counting its outcomes in `bus_messages_handled_total{queue, outcome}`."""

    async def handle(envelope: Envelope) -> None:
        try:
            await handler(envelope)
        except Exception:
            metrics.consumed.labels(queue, "failed").inc()
            raise
        metrics.consumed.labels(queue, "handled").inc()

    return handle


def counted_batches(handler: BatchHandler, queue: str, metrics: Metrics) -> BatchHandler:
    """`handler`, counting per message. A failed batch of several is not counted: the bus hands
    each of its messages over again alone, and those outcomes are."""

    async def handle(batch: Sequence[Envelope]) -> None:
        try:
            await handler(batch)
        except Exception:
            if len(batch) == 1:
                metrics.consumed.labels(queue, "failed").inc()
            raise
        metrics.consumed.labels(queue, "handled").inc(len(batch))

    return handle


class ComponentWorker:
    def __init__(
        self,
        definition: ComponentDefinition,
        settings: ComponentSettings,
        runtime: Runtime,
        *,
        metrics: Metrics | None = None,
    ) -> None:
        self.definition = definition
        self.settings = settings
        self.runtime = runtime
        self.metrics = metrics or Metrics(definition.name)
        self.relay = OutboxRelay(runtime.engine, runtime.bus, clock=runtime.clock, metrics=self.metrics)
        self.scheduler = Scheduler(
            runtime.engine,
            periodic=[*housekeeping(settings), *definition.periodic],
            one_shot_actions=definition.one_shot,
            clock=runtime.clock,
            metrics=self.metrics,
        )
        self._consuming = False
        self.job_runner = JobRunner(
            runtime.engine,
            service=definition.name,
            functions=definition.jobs,
            clock=runtime.clock,
            metrics=self.metrics,
        )

    async def start_consumers(self) -> None:
        """Subscribe this component's queues. Embedded mode calls it for every component before any
        relay runs, because the in-process bus, unlike RabbitMQ, keeps no event nobody subscribed to."""
        if self._consuming:
            return
        self._consuming = True
        bus, name = self.runtime.bus, self.definition.name
        handlers = self.definition.all_event_handlers()
        if handlers:
            batch_handler = idempotent_handler(
                self.runtime.engine, consumer=f"{name}.events", handlers=handlers, clock=self.runtime.clock
            )
            queue = f"{name}.events"
            await bus.consume_batches(queue, sorted(handlers), counted_batches(batch_handler, queue, self.metrics))
        if self.definition.jobs:
            runner = self.job_runner
            if isinstance(bus, InMemoryBus):
                # Its messages died with the last process: the jobs they carried are queued again.
                await asyncio.to_thread(runner.recover_orphans)
            job_handler = counted(runner.handler, runner.queue, self.metrics)
            await bus.consume(runner.queue, runner.bindings, job_handler, prefetch=runner.concurrency)

    async def run(self, stop: asyncio.Event) -> None:
        """Runs until `stop` is set; the caller owns the runtime (starts and closes it)."""
        await self.start_consumers()
        log.info("%s worker started", self.definition.name)
        await asyncio.gather(self.relay.run(stop), self.scheduler.run(stop))
