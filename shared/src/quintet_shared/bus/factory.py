"""Choosing the transport from settings: RabbitMQ when `AMQP_URL` is set, else the in-process bus."""

from quintet_shared.bus import Bus
from quintet_shared.bus.memory import InMemoryBus
from quintet_shared.settings import ComponentSettings


def make_bus(settings: ComponentSettings) -> Bus:
    if settings.amqp_url:
        # Imported here so that embedded mode never loads aio-pika.
        from quintet_shared.bus.rabbit import RabbitBus

        return RabbitBus(
            settings.amqp_url,
            namespace=settings.bus_namespace,
            delivery_limit=settings.bus_delivery_limit,
            prefetch=settings.bus_prefetch,
            batch_size=settings.bus_batch_size,
            batch_wait=settings.bus_batch_wait_ms / 1000,
        )
    # The in-process bus has no prefetch window: its handlers pull one message at a time each.
    return InMemoryBus(
        namespace=settings.bus_namespace,
        delivery_limit=settings.bus_delivery_limit,
        batch_size=settings.bus_batch_size,
        batch_wait=settings.bus_batch_wait_ms / 1000,
    )
