"""The SMS jobs the worker runs (queued by sms_schedule.py). Both are safe to run twice: recording
skips what is recorded, and a claim takes only rows no other send holds."""

import asyncio
from datetime import date

from quintet_shared.jobs import JobContext, JobOutcome
from subscriptions.config import Settings
from subscriptions.sms_delivery import deliver
from subscriptions.sms_run import run_day


def run_daily_sms(ctx: JobContext) -> JobOutcome:
    """The daily SMS of the payload's local date: record, then send."""
    day = date.fromisoformat(ctx.payload["day"])
    run = run_day(ctx.engine, Settings(), client=ctx.client, day=day, clock=ctx.clock)
    return JobOutcome(result=run.as_result())


def run_sms_resend(ctx: JobContext) -> JobOutcome:
    """Send the client's queued messages that are due again."""
    counts = asyncio.run(deliver(ctx.engine, Settings(), client=ctx.client, clock=ctx.clock, resend=True))
    return JobOutcome(result=counts.as_result())
