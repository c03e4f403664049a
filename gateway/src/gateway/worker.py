"""The gateway's part of a worker: it consumes nothing and runs no jobs, it only relays its outbox
(the client events) to the bus.

`gateway worker` is to be wired through the shared worker composition, like every component's
worker; this is what the composition runs for the gateway.
"""

from gateway.state import RuntimeLike
from quintet_shared.outbox import OutboxRelay


def outbox_relay(runtime: RuntimeLike) -> OutboxRelay:
    return OutboxRelay(runtime.engine, runtime.bus, clock=runtime.clock)
