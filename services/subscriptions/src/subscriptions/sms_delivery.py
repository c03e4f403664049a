"""Sending recorded SMS (the second half of the daily run, and the resend of what a crash left).

- Take: queued messages whose `next_attempt_at` has come are claimed a chunk at a time by one UPDATE
  that moves `next_attempt_at` a lease ahead (on PostgreSQL the chunk is picked `FOR UPDATE SKIP
  LOCKED`), so replicas and runs at once never send a row twice; a sender that dies leaves its rows
  to the sweep after the lease (sms_schedule.py). The sweep's resend takes only rows recorded longer
  than the lease ago: a daily run still claiming its own chunks keeps them (a resend taking them at
  once sent nothing twice, but split one run's figures over two jobs).
- Send: a fixed number of senders (`SUBSCRIPTIONS_SMS_CONCURRENCY`) take messages from a bounded
  queue the claims fill, so at most that many requests are in flight and memory stays bounded
  however many messages there are. Each message goes round-robin over the gateways (its turn is its
  row id, fixed, see sms_gateways.py) and to the next one on failure.
- Record: outcomes are written in batches (`FLUSH_EVERY` or `FLUSH_SECONDS`, whichever first), one
  UPDATE per (gateway, attempts) group: accepted → `accepted` with `sent_at`; refused everywhere →
  `failed` with the reason. A batch's `sent_at` is the time its first outcome came, so it is never
  later than a message's acceptance, nor than its receipt. A receipt may come before its batch is
  written (the gateway calls back within a fraction of a second): the row is then `delivered`
  already, and the batch only adds its gateway, attempts and sent_at.
"""

import asyncio
import contextlib
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from quintet_shared.clock import Clock
from quintet_shared.db import session_scope
from subscriptions.client_settings import get_settings
from subscriptions.config import Settings
from subscriptions.models import SmsMessage, SmsStatus, Subscription, SubscriptionStatus
from subscriptions.sms_gateways import OutgoingSms, SendOutcome, SmsGateways

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=15)  # longer than a chunk takes to send
CHUNK = 2_000
FLUSH_EVERY = 500
FLUSH_SECONDS = 0.25
QUEUED, ACCEPTED, FAILED = SmsStatus.QUEUED.value, SmsStatus.ACCEPTED.value, SmsStatus.FAILED.value
PUBLIC_CALLBACK = "/subscriptions/public/sms/{token}"
NOT_PAID = "cancelled, or no longer paid for its day, before it was sent"


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    message: OutgoingSms


@dataclass
class DeliveryCounts:
    accepted: int = 0
    failed: int = 0
    by_gateway: Counter[str] = field(default_factory=Counter)  # accepted by each
    errors: list[str] = field(default_factory=list)  # the first few reasons

    def as_result(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "failed": self.failed,
            "by_gateway": dict(sorted(self.by_gateway.items())),
            "errors": self.errors[:5],
        }


def callback_url(settings: Settings, token: str) -> str:
    return settings.callback_base_url.rstrip("/") + PUBLIC_CALLBACK.format(token=token)


async def deliver(
    engine: Engine, settings: Settings, *, client: str, clock: Clock, day: date | None = None, resend: bool = False
) -> DeliveryCounts:
    """Send the client's queued messages that are due: of `day` only, when given; with `resend`, only
    those recorded longer than the lease ago (left by a sender that died, not a run's own, which its
    run is still sending)."""
    callback = callback_url(settings, await asyncio.to_thread(_token, engine, client, clock()))
    counts = DeliveryCounts()
    queue: asyncio.Queue[Claimed | None] = asyncio.Queue(maxsize=2 * settings.sms_concurrency)
    recorder = _Recorder(engine, clock, counts)

    async def claim_all() -> None:
        while (
            chunk := await asyncio.to_thread(_claim_chunk, engine, client, clock(), day, resend, callback)
        ) is not None:
            for claimed in chunk:
                await queue.put(claimed)

    async with SmsGateways.from_settings(settings) as gateways:

        async def sender() -> None:
            while (claimed := await queue.get()) is not None:
                recorder.add(claimed.id, await gateways.send(claimed.message, client=client))

        senders = [asyncio.create_task(sender()) for _ in range(settings.sms_concurrency)]
        flusher = asyncio.create_task(recorder.run())
        try:
            await claim_all()
            for _ in senders:
                await queue.put(None)
            await asyncio.gather(*senders)
        finally:
            for task in senders:
                task.cancel()
            await recorder.stop(flusher)
    return counts


def claim(
    session: Session, *, client: str, now: datetime, day: date | None, limit: int, resend: bool = False
) -> list[int]:
    """Take up to `limit` due queued messages, holding them off the other senders for the lease."""
    due = select(SmsMessage.id).where(
        SmsMessage.client == client,
        SmsMessage.status == QUEUED,
        SmsMessage.next_attempt_at <= now,  # type: ignore[operator]
    )
    if day is not None:
        due = due.where(SmsMessage.day == day)
    if resend:
        due = due.where(SmsMessage.queued_at <= now - LEASE)  # type: ignore[operator]
    due = due.order_by(SmsMessage.next_attempt_at, SmsMessage.id).limit(limit).with_for_update(skip_locked=True)  # type: ignore[arg-type]
    return list(
        session.execute(
            update(SmsMessage)
            .where(SmsMessage.id.in_(due.scalar_subquery()))  # type: ignore[union-attr]
            .values(next_attempt_at=now + LEASE)
            .returning(SmsMessage.id)
            .execution_options(synchronize_session=False)
        ).scalars()
    )


def record_outcomes(session: Session, outcomes: list[tuple[int, SendOutcome]], *, now: datetime) -> None:
    """Write a batch of send outcomes (see the module's docstring)."""
    groups: dict[tuple[bool, str, int, str | None], list[int]] = {}
    for message_id, outcome in outcomes:
        key = (outcome.accepted, outcome.gateway, outcome.attempts, (outcome.error or "")[:500] or None)
        groups.setdefault(key, []).append(message_id)
    for (accepted, gateway, attempts, error), ids in groups.items():
        if accepted:
            statement = (
                update(SmsMessage)
                .where(SmsMessage.id.in_(ids), SmsMessage.sent_at.is_(None))  # type: ignore[union-attr]
                .values(
                    status=case((SmsMessage.status == QUEUED, ACCEPTED), else_=SmsMessage.status),
                    gateway=gateway,
                    attempts=SmsMessage.attempts + attempts,
                    sent_at=now,
                    next_attempt_at=None,
                    last_error=None,
                )
            )
        else:
            statement = (
                update(SmsMessage)
                .where(SmsMessage.id.in_(ids), SmsMessage.status == QUEUED)  # type: ignore[union-attr]
                .values(
                    status=FAILED,
                    gateway=gateway,
                    attempts=SmsMessage.attempts + attempts,
                    next_attempt_at=None,
                    last_error=error,
                )
            )
        session.execute(statement.execution_options(synchronize_session=False))


class _Recorder:
    """Outcomes waiting to be written, flushed in batches from the event loop's side."""

    def __init__(self, engine: Engine, clock: Clock, counts: DeliveryCounts) -> None:
        self.engine, self.clock, self.counts = engine, clock, counts
        self.pending: list[tuple[int, SendOutcome]] = []
        self.since = clock()  # when the first outcome of `pending` came
        self.wake = asyncio.Event()

    def add(self, message_id: int, outcome: SendOutcome) -> None:
        if not self.pending:
            self.since = self.clock()
        self.pending.append((message_id, outcome))
        if outcome.accepted:
            self.counts.accepted += 1
            self.counts.by_gateway[outcome.gateway] += 1
        else:
            self.counts.failed += 1
            if len(self.counts.errors) < 5 and outcome.error:
                self.counts.errors.append(outcome.error)
        if len(self.pending) >= FLUSH_EVERY:
            self.wake.set()

    async def run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), FLUSH_SECONDS)
            self.wake.clear()
            await self.flush()

    async def flush(self) -> None:
        batch, since, self.pending = self.pending, self.since, []
        if batch:
            await asyncio.to_thread(self._write, batch, since)

    async def stop(self, flusher: "asyncio.Task[None]") -> None:
        flusher.cancel()
        await asyncio.gather(flusher, return_exceptions=True)
        await self.flush()

    def _write(self, batch: list[tuple[int, SendOutcome]], since: datetime) -> None:
        with session_scope(self.engine) as session:
            record_outcomes(session, batch, now=since)


def _token(engine: Engine, client: str, now: datetime) -> str:
    with session_scope(engine) as session:
        return get_settings(session, client=client, now=now).callback_token


def _claim_chunk(
    engine: Engine, client: str, now: datetime, day: date | None, resend: bool, callback: str
) -> list[Claimed] | None:
    """The next chunk's messages to send; None when nothing is left to claim. A message whose
    subscription was cancelled, or is no longer paid for its day, since it was recorded is not sent:
    it is `failed` with the reason, in the claim's transaction."""
    with session_scope(engine) as session:
        ids = claim(session, client=client, now=now, day=day, limit=CHUNK, resend=resend)
        if not ids:
            return None
        rows = session.execute(
            select(SmsMessage.id, SmsMessage.msgid, SmsMessage.text, Subscription.msisdn, *_still_paid())
            .join(Subscription, Subscription.id == SmsMessage.subscription_id)  # type: ignore[arg-type]
            .where(SmsMessage.id.in_(ids))  # type: ignore[union-attr]
            .order_by(SmsMessage.id)  # type: ignore[arg-type]
        ).all()
        unpaid = [row[0] for row in rows if not (row[4] and row[5])]
        if unpaid:
            session.execute(
                update(SmsMessage)
                .where(SmsMessage.id.in_(unpaid), SmsMessage.status == QUEUED)  # type: ignore[union-attr]
                .values(status=FAILED, next_attempt_at=None, last_error=NOT_PAID)
                .execution_options(synchronize_session=False)
            )
    return [
        Claimed(row_id, OutgoingSms(msisdn=msisdn, msgid=msgid, text=text, callback=callback, first=row_id))
        for row_id, msgid, text, msisdn, active, covered in rows
        if active and covered
    ]


def _still_paid() -> tuple[Any, Any]:
    return (
        (Subscription.status == SubscriptionStatus.ACTIVE.value).label("active"),
        func.coalesce(Subscription.paid_until >= SmsMessage.day, False).label("covered"),  # type: ignore[operator]
    )
