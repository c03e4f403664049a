"""When billing runs: a periodic schedule queues, per client with something due, one billing job
(unless one is queued or running already); the job runs billing_run.py for the client's date of
today. What is due: a subscription not cancelled whose billing date is on or before the client's
local date and whose next try has come (billing_claims.py). The schedule fires once per slot across
replicas (the kit's Scheduler), so renewals, retries after their backoff and pending attempts after
their lease are all picked up within `BILLING_EVERY`.
"""

import asyncio
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlmodel import Session, col

from quintet_shared.jobs import JobContext, JobOutcome, JobStatus, enqueue_job
from quintet_shared.tables import job
from subscriptions.billing_claims import BILLED
from subscriptions.billing_run import run_billing
from subscriptions.client_settings import local_date
from subscriptions.config import Settings
from subscriptions.models import ClientSettings, Subscription

SERVICE = "subscriptions"
BILLING_JOB = "billing_run"
BILLING_SCHEDULE = "subscriptions.billing.due"
BILLING_EVERY = timedelta(seconds=30)


def queue_due_billing(session: Session, slot: datetime) -> None:
    """The periodic action: one billing job for each client with a charge due at `slot`. Every
    client with subscriptions has its settings row (adding a subscription creates it)."""
    for settings in session.execute(select(ClientSettings)).scalars().all():
        client = settings.client
        if _has_due(session, settings, slot) and not _billing_queued(session, client):
            enqueue_job(session, service=SERVICE, kind=BILLING_JOB, client=client, payload={}, clock=lambda: slot)


def run_billing_job(ctx: JobContext) -> JobOutcome:
    """Charge what is due for the job's client today (its local date when the job runs)."""
    summary = asyncio.run(run_billing(ctx.engine, _settings(), client=ctx.client, clock=ctx.clock))
    return JobOutcome(result=summary.as_result())


def _has_due(session: Session, settings: ClientSettings, slot: datetime) -> bool:
    query = (
        select(col(Subscription.id))
        .where(
            col(Subscription.client) == settings.client,
            col(Subscription.status).in_(BILLED),
            col(Subscription.next_billing_date) <= local_date(settings, slot),
            or_(col(Subscription.next_charge_at).is_(None), col(Subscription.next_charge_at) <= slot),
        )
        .limit(1)
    )
    return session.execute(query).first() is not None


def _billing_queued(session: Session, client: str) -> bool:
    unfinished = (JobStatus.PENDING.value, JobStatus.STARTED.value)
    query = select(job.c.id).where(job.c.client == client, job.c.kind == BILLING_JOB, job.c.status.in_(unfinished))
    return session.execute(query.limit(1)).first() is not None


def _settings() -> Settings:
    # The worker's environment, as every run mode sets it (SUBSCRIPTIONS_BILLING_URL and the rest).
    return Settings()
