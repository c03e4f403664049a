"""The campaign job (`crm.campaign.run`): record the segment in the ledger, then send it in batches.

Per batch (CRM_CAMPAIGN_BATCH_SIZE, 200): one short transaction reads the campaign's status and
claims the batch (campaign_ledger), the mailer sends it over its pool of open SMTP connections, and a
second short transaction records the outcomes. Two batches are in flight at once, so the connections
stay busy while a batch waits on the database. So:
- pause takes effect between batches: a batch already claimed is sent and recorded, then the job stops;
- a run that stops for any reason (pause, a crash, a redelivered job) leaves the ledger saying exactly
  what is left: resuming sends what is queued and nothing else;
- failed sends come back due after their backoff; while only those are left the job waits for them
  (reading the status again every quarter of a second, so a pause still stops it);
- the job of the current run completes the campaign when nothing is queued.

Each message's Message-ID is derived from its outreach event, so a message sent again after an
outcome that was never recorded (a worker killed between the relay's 250 and the commit) carries
the same id, and receivers that drop duplicates (the sandbox's sink among them) keep one.

Safe to run twice, and alongside another run of the same campaign: claims never overlap.
"""

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import uvloop
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from crm.campaign_ledger import QUEUED, Claimed, Retry, claim_batch, finish_campaign, next_due, record_audience
from crm.campaign_ledger import record_outcomes as record_outcomes_in
from crm.config import Settings
from crm.mail_message import Mail
from crm.mailer import Mailer, SmtpConfig
from crm.models import Campaign, CampaignStatus, OutreachEvent, Restaurant
from crm.templates import Template, compile_template
from crm.unsubscribe_tokens import unsubscribe_token
from quintet_shared.db import session_scope
from quintet_shared.jobs import JobContext, JobOutcome

log = logging.getLogger(__name__)

MAX_WAIT_SECONDS = 0.25  # longest sleep between two readings of the status while waiting for retries
LANES = 2  # batches in flight at once


@dataclass(frozen=True)
class Content:
    """What every message of the campaign shares."""

    campaign_id: int
    client: str
    subject: str
    from_name: str
    restaurant: str
    template: Template


@dataclass
class Tally:
    recorded: int = 0
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    retrying: int = 0
    batches: int = 0
    # Where the time went: claiming batches, sending them, recording their outcomes.
    claim_seconds: float = 0.0
    send_seconds: float = 0.0
    record_seconds: float = 0.0
    stopped: str = ""  # why the job ended: completed, paused, deleted, done (another job completed it)
    errors: list[str] = field(default_factory=list)

    def result(self, campaign_id: int, seconds: float) -> dict[str, Any]:
        return {
            "campaign_id": campaign_id,
            "stopped": self.stopped,
            "recorded": self.recorded,
            "sent": self.sent,
            "failed": self.failed,
            "skipped": self.skipped,
            "retried": self.retrying,
            "batches": self.batches,
            "claim_seconds": round(self.claim_seconds, 3),
            "send_seconds": round(self.send_seconds, 3),
            "record_seconds": round(self.record_seconds, 3),
            "seconds": round(seconds, 3),
            "errors": self.errors[:5],
        }


def run_campaign_job(ctx: JobContext) -> JobOutcome:
    settings = Settings()  # the worker's environment, as every run mode sets it
    campaign_id = int(ctx.payload["campaign_id"])
    run_started_at = datetime.fromisoformat(str(ctx.payload["run_started_at"]))
    started = time.perf_counter()
    tally = Tally()
    with session_scope(ctx.engine) as session:
        campaign = session.get(Campaign, campaign_id)
        if campaign is None or campaign.client != ctx.client:
            tally.stopped = "deleted"
            return JobOutcome(result=tally.result(campaign_id, 0.0))
        # A run paused before its job started still records its audience (the segment as of the
        # run): resume then sends it.
        if ctx.payload.get("record", True) and campaign.status in (CampaignStatus.RUNNING, CampaignStatus.PAUSED):
            tally.recorded = record_audience(session, campaign=campaign, now=ctx.clock())
        stopped = _stopped(campaign)
        if stopped:
            tally.stopped = stopped
            return JobOutcome(result=tally.result(campaign_id, 0.0))
        content = _content(session, campaign)
    # uvloop, as the worker's own loop: the sending is mostly the event loop's work per message.
    uvloop.run(_send_all(ctx, settings, content, run_started_at, tally))
    return JobOutcome(result=tally.result(campaign_id, time.perf_counter() - started))


async def _send_all(
    ctx: JobContext, settings: Settings, content: Content, run_started_at: datetime, tally: Tally
) -> None:
    total, done = await asyncio.to_thread(_progress_counts, ctx.engine, content.campaign_id)
    await asyncio.to_thread(ctx.progress, done, total)
    progress = _Progress(ctx, done, total)
    async with Mailer(SmtpConfig.from_settings(settings)) as mailer:
        # Batches in flight at once: while one waits on the database (claim, record), the other keeps
        # the SMTP connections busy. Their claims never overlap.
        lanes = (_lane(ctx, settings, mailer, content, run_started_at, tally, progress) for _ in range(LANES))
        await asyncio.gather(*lanes)
    await asyncio.to_thread(ctx.progress, total, total)


@dataclass
class _Progress:
    ctx: JobContext
    done: int
    total: int

    async def add(self, count: int) -> None:
        self.done = min(self.done + count, self.total)  # an approximation while retries are due
        await asyncio.to_thread(self.ctx.progress, self.done, self.total)


async def _lane(
    ctx: JobContext,
    settings: Settings,
    mailer: Mailer,
    content: Content,
    run_started_at: datetime,
    tally: Tally,
    progress: _Progress,
) -> None:
    """Claim, send and record batches until the campaign stops or nothing is queued."""
    lease = timedelta(seconds=settings.campaign_lease_seconds)
    while True:
        claiming = time.perf_counter()
        step = await asyncio.to_thread(
            _take, ctx.engine, content.campaign_id, ctx.clock(), settings.campaign_batch_size, lease
        )
        tally.claim_seconds += time.perf_counter() - claiming
        if step.stopped:
            tally.stopped = tally.stopped or step.stopped
            return
        if step.batch:
            await _send_batch(ctx, settings, mailer, content, step.batch, tally)
            tally.batches += 1
            await progress.add(len(step.batch))
            continue
        if step.due_in is not None:
            await asyncio.sleep(min(MAX_WAIT_SECONDS, max(step.due_in, 0.01)))
            continue
        finished = await asyncio.to_thread(_finish, ctx.engine, content.campaign_id, run_started_at, ctx.clock)
        if finished or not tally.stopped:
            tally.stopped = "completed" if finished else "done"
        return


@dataclass(frozen=True)
class _Step:
    batch: list[Claimed]
    stopped: str = ""
    due_in: float | None = None  # seconds until a queued event is due, when none is due now


def _take(engine: Engine, campaign_id: int, now: datetime, limit: int, lease: timedelta) -> _Step:
    with session_scope(engine) as session:
        campaign = session.get(Campaign, campaign_id)
        stopped = "deleted" if campaign is None else _stopped(campaign)
        if stopped:
            return _Step([], stopped=stopped)
        batch = claim_batch(session, campaign_id=campaign_id, now=now, limit=limit, lease=lease)
        if batch:
            return _Step(batch)
        due = next_due(session, campaign_id=campaign_id)
        return _Step([], due_in=None if due is None else (due - now).total_seconds())


def _stopped(campaign: Campaign) -> str:
    """Why a job should not send now ('' when it should). A job of an older run goes on sending
    beside the current one (their claims never overlap); only the current run's job completes."""
    if campaign.status == CampaignStatus.RUNNING:
        return ""
    return str(campaign.status.value if isinstance(campaign.status, CampaignStatus) else campaign.status)


async def _send_batch(
    ctx: JobContext, settings: Settings, mailer: Mailer, content: Content, batch: list[Claimed], tally: Tally
) -> None:
    skipped = [claimed.event_id for claimed in batch if claimed.unsubscribed]
    to_send = [claimed for claimed in batch if not claimed.unsubscribed]
    sending = time.perf_counter()
    mails = [_mail(settings, content, claimed) for claimed in to_send]
    outcomes = await mailer.send(mails)
    recording = time.perf_counter()
    tally.send_seconds += recording - sending
    sent: list[int] = []
    failed: list[tuple[int, str]] = []
    retries: list[Retry] = []
    for claimed, outcome in zip(to_send, outcomes, strict=True):
        if outcome.accepted:
            sent.append(claimed.event_id)
        elif outcome.transient:
            retries.append(Retry(claimed.event_id, claimed.attempts, outcome.error or "not accepted"))
        else:
            failed.append((claimed.event_id, outcome.error or "refused"))
    if (failed or retries) and len(tally.errors) < 5:
        tally.errors.append((failed[0][1] if failed else retries[0].error)[:200])
    counts = await asyncio.to_thread(
        _record, ctx.engine, ctx.clock, settings, sent=sent, skipped=skipped, failed=failed, retries=retries
    )
    tally.record_seconds += time.perf_counter() - recording
    tally.sent += counts["sent"]
    tally.skipped += counts["skipped"]
    tally.failed += counts["failed"]
    tally.retrying += counts["retrying"]


def _mail(settings: Settings, content: Content, claimed: Claimed) -> Mail:
    values = {"first_name": claimed.first_name, "last_name": claimed.last_name, "restaurant": content.restaurant}
    token = unsubscribe_token(settings.unsubscribe_secret, client=content.client, customer_id=claimed.customer_id)
    domain = settings.mail_from.rpartition("@")[2] or "crm.quintet.localhost"
    return Mail(
        to=claimed.email,
        subject=content.subject,
        body=content.template.render(values),
        message_id=f"<crm.{content.campaign_id}.{claimed.event_id}@{domain}>",
        from_name=content.from_name,
        unsubscribe_url=f"{settings.public_base_url.rstrip('/')}/crm/public/unsubscribe/{token}",
    )


def _record(
    engine: Engine,
    clock: Callable[[], datetime],
    settings: Settings,
    *,
    sent: list[int],
    skipped: list[int],
    failed: list[tuple[int, str]],
    retries: list[Retry],
) -> dict[str, int]:
    with session_scope(engine) as session:
        return record_outcomes_in(
            session,
            now=clock(),
            sent=sent,
            skipped=skipped,
            failed=failed,
            retries=retries,
            max_attempts=settings.campaign_attempts,
            retry_seconds=settings.campaign_retry_seconds,
        )


def _finish(engine: Engine, campaign_id: int, run_started_at: datetime, clock: Callable[[], datetime]) -> bool:
    with session_scope(engine) as session:
        return finish_campaign(session, campaign_id=campaign_id, run_started_at=run_started_at, now=clock())


def _progress_counts(engine: Engine, campaign_id: int) -> tuple[int, int]:
    """Events in the ledger, and those already final."""
    with session_scope(engine) as session:
        total, queued = session.execute(
            select(func.count(), func.count().filter(OutreachEvent.status == QUEUED)).where(
                OutreachEvent.campaign == campaign_id
            )
        ).one()
    return int(total), int(total - queued)


def _content(session: Any, campaign: Campaign) -> Content:
    restaurant = session.execute(select(Restaurant.name).where(Restaurant.id == campaign.restaurant)).scalar_one()  # type: ignore[arg-type]
    return Content(
        campaign_id=campaign.id or 0,
        client=campaign.client,
        subject=campaign.name,
        from_name=restaurant,
        restaurant=restaurant,
        template=compile_template(campaign.message_template),
    )
