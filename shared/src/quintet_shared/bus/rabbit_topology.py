"""Declaring the exchanges and queues of ARCHITECTURE.md §7 on an aio-pika channel.

Declarations are idempotent, so every channel declares what it uses: a robust channel re-declares
its own entities after a reconnection, and a replica that starts first creates them for the others.
"""

from aio_pika import ExchangeType
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractQueue
from pamqp.common import FieldTable

from quintet_shared.bus import Topology

UNROUTED_TTL_MS = 7 * 24 * 3600 * 1000


async def declare_exchanges(channel: AbstractChannel, topology: Topology) -> tuple[AbstractExchange, AbstractExchange]:
    """The topic exchange events are published to, and the direct exchange dead letters go to.

    An event no service consumes yet is normal (a new event type ships before its consumers), yet
    with `mandatory` publishing the broker would return it and the outbox would retry it forever.
    The alternate exchange keeps such events for a week in `quintet.events.unrouted` instead.
    """
    unrouted = await channel.declare_exchange(topology.unrouted_exchange, ExchangeType.FANOUT, durable=True)
    unrouted_queue = await channel.declare_queue(
        topology.unrouted_exchange, durable=True, arguments={"x-message-ttl": UNROUTED_TTL_MS}
    )
    await unrouted_queue.bind(unrouted)
    events = await channel.declare_exchange(
        topology.exchange,
        ExchangeType.TOPIC,
        durable=True,
        arguments={"alternate-exchange": topology.unrouted_exchange},
    )
    dead_letters = await channel.declare_exchange(topology.dead_letter_exchange, ExchangeType.DIRECT, durable=True)
    return events, dead_letters


def quorum_arguments(topology: Topology, name: str, delivery_limit: int) -> FieldTable:
    return {
        "x-queue-type": "quorum",
        "x-dead-letter-exchange": topology.dead_letter_exchange,
        "x-dead-letter-routing-key": topology.dead_letter_queue(name),
        # The broker counts *returns*, and dead-letters a message returned more often than the
        # limit: limit - 1 returns means exactly `delivery_limit` deliveries, as on the in-process bus.
        "x-delivery-limit": delivery_limit - 1,
    }


async def declare_queue(
    channel: AbstractChannel,
    topology: Topology,
    name: str,
    *,
    delivery_limit: int,
    bindings: list[str],
) -> AbstractQueue:
    """`name` as a quorum queue bound to `bindings`, with its dead-letter queue `<name>.dlq`."""
    events, dead_letters = await declare_exchanges(channel, topology)
    dlq_name = topology.dead_letter_queue(name)
    dlq = await channel.declare_queue(dlq_name, durable=True)
    await dlq.bind(dead_letters, dlq_name)
    queue = await channel.declare_queue(
        topology.queue(name), durable=True, arguments=quorum_arguments(topology, name, delivery_limit)
    )
    for binding in bindings:
        await queue.bind(events, binding)
    return queue
