"""What both transports do with a batch: hand it to the handler whole, and if that fails, one by one.

A batch that fails is usually one bad message among good ones; handled again alone, each good one
succeeds and only the bad one is redelivered (and dead-lettered after the delivery limit), so one
poison message never holds back the messages delivered with it.
"""

import logging
from collections.abc import Sequence

from quintet_shared.bus import BatchHandler
from quintet_shared.busy import failure_level
from quintet_shared.envelope import Envelope

log = logging.getLogger(__name__)


async def failures_of(handler: BatchHandler, batch: Sequence[Envelope]) -> set[int]:
    """Run `handler` on `batch`; the positions of the messages that failed (empty: all handled)."""
    try:
        await handler(batch)
        return set()
    except Exception as exc:
        if len(batch) == 1:
            _log_failure(exc, batch[0])
            return {0}
        log.warning("a batch of %d messages failed; handling them one by one", len(batch), exc_info=True)
    failed: set[int] = set()
    for position, envelope in enumerate(batch):
        try:
            await handler([envelope])
        except Exception as exc:
            _log_failure(exc, envelope)
            failed.add(position)
    return failed


def _log_failure(error: Exception, envelope: Envelope) -> None:
    # Redelivered later either way; a busy database is a warning, anything else an error.
    extra = {"event_type": envelope.type, "message_id": str(envelope.id)}
    log.log(failure_level(error), "handler failed", exc_info=error, extra=extra)
