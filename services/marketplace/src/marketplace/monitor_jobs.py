"""When monitoring rounds run: the worker's schedule queues a round per client that is due, as a job.

Every 30 s the schedule (once across replicas) looks at each client
with repriced products: its round is due when its latest round started at least its tariff's
`monitoring_interval_seconds` ago (`MARKETPLACE_MONITOR_INTERVAL_SECONDS` without a tariff) and no
round of it is queued or running. A due round is a `monitoring_round` job (survives a worker crash;
run again, it is simply a new round). The same tick queues the sending of Telegram notifications
that are still pending (a failed send is tried again at the next tick).
"""

import asyncio
from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy import func
from sqlmodel import Session, col, select

from marketplace.config import Settings
from marketplace.models import MonitoringRound, Notification, Product, TelegramStatus
from marketplace.monitoring import run_round
from marketplace.monitoring_plan import current_tariff
from marketplace.notify_telegram import send_pending
from quintet_shared.jobs import JobContext, JobOutcome, JobStatus, enqueue_job
from quintet_shared.tables import job

SERVICE = "marketplace"
MONITOR_JOB = "monitoring_round"
TELEGRAM_JOB = "telegram_send"
MONITOR_SCHEDULE = "marketplace.monitoring"
OPEN = (JobStatus.PENDING.value, JobStatus.STARTED.value)


MONITOR_TICK = timedelta(seconds=30)  # a round starts at most this late after it falls due


def queue_due_rounds(session: Session, slot: datetime) -> None:
    """The periodic action: queue the rounds that are due and the Telegram sends that are pending."""
    settings = Settings()
    clients = session.exec(select(Product.client).where(col(Product.repricing).is_(True)).distinct()).all()
    for client in clients:
        if _round_due(session, client=client, now=slot, default_interval=settings.monitor_interval_seconds):
            queue_round(session, client=client)
    pending = session.exec(
        select(Notification.client).where(Notification.telegram_status == TelegramStatus.PENDING).distinct()
    ).all()
    for client in pending:
        if not _open_job(session, client=client, kind=TELEGRAM_JOB):
            enqueue_job(session, service=SERVICE, kind=TELEGRAM_JOB, client=client, payload={})


def queue_round(session: Session, *, client: str) -> UUID | None:
    """Queue a round for the client unless one is queued or running (None then); part of the caller's
    transaction."""
    if _open_job(session, client=client, kind=MONITOR_JOB):
        return None
    return enqueue_job(session, service=SERVICE, kind=MONITOR_JOB, client=client, payload={}).job_id


def _round_due(session: Session, *, client: str, now: datetime, default_interval: int) -> bool:
    tariff = current_tariff(session, client=client, now=now)
    interval = timedelta(seconds=tariff.monitoring_interval_seconds if tariff else default_interval)
    last = session.exec(select(func.max(MonitoringRound.started_at)).where(MonitoringRound.client == client)).one()
    return last is None or now - last >= interval


def _open_job(session: Session, *, client: str, kind: str) -> bool:
    statement = (
        select(func.count()).select_from(job).where(job.c.client == client, job.c.kind == kind, job.c.status.in_(OPEN))
    )
    return bool(session.exec(statement).one())


def run_monitoring_job(ctx: JobContext) -> JobOutcome:
    """A client's round, now (its summary is the job's result)."""
    summary = asyncio.run(run_round(ctx.engine, Settings(), client=ctx.client, clock=ctx.clock, progress=ctx.progress))
    return JobOutcome(result=summary.as_dict())


def run_telegram_job(ctx: JobContext) -> JobOutcome:
    counts = asyncio.run(send_pending(ctx.engine, Settings(), client=ctx.client, clock=ctx.clock))
    return JobOutcome(result={"sent": counts.sent, "retrying": counts.retrying, "failed": counts.failed})
