"""When the daily SMS runs, and the sweep that finishes what runs leave (the design is in models.py).

- `queue_daily_runs` (every minute): for each client whose local time has reached its
  `sms_local_time` today, a one-shot task keyed by (client, local date) is scheduled: the key is
  unique, so however many ticks and replicas see it, the date gets one task, and a worker that was
  down at that time catches up when it comes back the same day. A date missed whole is not sent late
  (yesterday's forecast is stale); an operator can still run it: `subscriptions sms run --date`.
- `start_daily_run` (the one-shot task) queues the `sms_day` job of that client and date.
- `sweep` (every `SWEEP_EVERY`): expires accepted messages without a receipt and fails those never
  sent in time (sms_receipts.py), and queues an `sms_resend` job for each client whose queued
  messages are due again (a sender that died left them leased; recorded longer than the lease ago,
  so a run still sending is left alone), unless one is queued or running.
"""

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlmodel import Session

from quintet_shared.jobs import JobStatus, enqueue_job
from quintet_shared.schedules import schedule_once
from quintet_shared.tables import job
from subscriptions.config import Settings
from subscriptions.models import ClientSettings, SmsMessage, SmsStatus
from subscriptions.sms_delivery import LEASE
from subscriptions.sms_receipts import expire_unreported

SERVICE = "subscriptions"
DAILY_SCHEDULE = "subscriptions.sms.daily"
DAILY_EVERY = timedelta(minutes=1)
DAILY_TASK = "subscriptions.sms.day"
DAY_JOB = "sms_day"
RESEND_JOB = "sms_resend"
SWEEP_SCHEDULE = "subscriptions.sms.sweep"
SWEEP_EVERY = timedelta(minutes=5)


def daily_run_at(settings: ClientSettings, day: date) -> datetime:
    """The instant of the client's SMS time on its local date `day`."""
    return datetime.combine(day, settings.sms_local_time, tzinfo=ZoneInfo(settings.timezone))


def queue_daily_runs(session: Session, slot: datetime) -> None:
    for settings in session.execute(select(ClientSettings)).scalars().all():
        day = slot.astimezone(ZoneInfo(settings.timezone)).date()
        due_at = daily_run_at(settings, day)
        if slot >= due_at:
            payload = {"client": settings.client, "day": day.isoformat()}
            key = f"{DAILY_TASK}:{settings.client}:{day.isoformat()}"
            schedule_once(session, kind=DAILY_TASK, key=key, due_at=due_at, payload=payload)


def start_daily_run(session: Session, payload: dict[str, Any], due_at: datetime) -> None:
    enqueue_job(
        session,
        service=SERVICE,
        kind=DAY_JOB,
        client=str(payload["client"]),
        payload={"day": str(payload["day"])},
        clock=lambda: due_at,
    )


def sweep(session: Session, slot: datetime) -> None:
    expire_unreported(session, now=slot, receipt_hours=Settings().sms_receipt_hours)
    due = select(SmsMessage.client).where(
        SmsMessage.status == SmsStatus.QUEUED.value,
        SmsMessage.next_attempt_at <= slot,  # type: ignore[operator]
        # Older than the lease: a run's own rows are its run's to send.
        SmsMessage.queued_at <= slot - LEASE,  # type: ignore[operator]
    )
    for client in session.execute(due.distinct()).scalars().all():
        if not _resend_unfinished(session, client):
            enqueue_job(session, service=SERVICE, kind=RESEND_JOB, client=client, payload={}, clock=lambda: slot)


def _resend_unfinished(session: Session, client: str) -> bool:
    unfinished = (JobStatus.PENDING.value, JobStatus.STARTED.value)
    query = select(job.c.id).where(job.c.client == client, job.c.kind == RESEND_JOB, job.c.status.in_(unfinished))
    return session.execute(query.limit(1)).first() is not None
