"""The notification jobs the worker runs (queued by notify_schedule.py; see notifications.py).

Both are safe to run twice: recording skips what is recorded, a claim takes only rows no other send
holds, and the provider delivers a notification id once.
"""

import asyncio
import time

from promotions.config import Settings
from promotions.notifications import record_run
from promotions.notify_delivery import deliver
from quintet_shared.db import session_scope
from quintet_shared.jobs import JobContext, JobOutcome


def run_promo_notifications(ctx: JobContext) -> JobOutcome:
    """A promo's run: record its notifications now, then send them."""
    promo_id = int(ctx.payload["promo_id"])
    started = time.perf_counter()
    with session_scope(ctx.engine) as session:
        record = record_run(session, client=ctx.client, promo_id=promo_id, now=ctx.clock())
    if record is None:
        return JobOutcome(result={"promo_id": promo_id, "on_sale": False, "recorded": 0})
    recorded_at = time.perf_counter()
    counts = asyncio.run(deliver(ctx.engine, _settings(), client=ctx.client, clock=ctx.clock, promo_id=promo_id))
    result = {
        "promo_id": promo_id,
        "on_sale": True,
        "recorded": record.recorded,
        **counts.as_result(),
        "record_seconds": round(recorded_at - started, 3),
        "send_seconds": round(time.perf_counter() - recorded_at, 3),
    }
    return JobOutcome(result=result)


def run_notification_retries(ctx: JobContext) -> JobOutcome:
    """Send the client's notifications whose retry is due."""
    counts = asyncio.run(deliver(ctx.engine, _settings(), client=ctx.client, clock=ctx.clock))
    return JobOutcome(result=counts.as_result())


def _settings() -> Settings:
    # The worker's environment, as every run mode sets it (PROMOTIONS_PUSH_URL and the rest).
    return Settings()
