"""Sending recorded notifications: take a chunk, push it in batches, record each batch's outcome.

- Take: a run reads its own rows, those never tried yet (`attempts` 0), in chunks of `CHUNK` by id:
  its INSERT already kept them from the retries for `SEND_LEASE`, so reading costs no write. The
  retries claim rows whose `next_attempt_at` has come with one UPDATE that holds them off for the
  lease (on PostgreSQL `FOR UPDATE SKIP LOCKED` of the notification rows only, so replicas split the
  work and the holds on the promo row never wait). Only rows of promos on sale now are taken: a
  deactivated or sold-out promo's rows wait, an ended promo's are failed by the retry schedule. Two
  sends of one row (a duplicate run, a lease outlived) are harmless: the provider delivers an id once.
- Push: batches of the push client's size, a few in flight (PushClient), each batch recorded as soon
  as it is answered, so `notified` in the promo's stats moves during a run.
- Record: each round counts an attempt; accepted → `sent`; failed → `pending` again after a backoff
  (`PROMOTIONS_NOTIFY_RETRY_SECONDS`, doubled each round), or `failed` after
  `PROMOTIONS_NOTIFY_ATTEMPTS` rounds.
"""

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from promotions.config import Settings
from promotions.models import Notification, NotificationStatus, Product, Promo, Store
from promotions.notifications import SEND_LEASE
from promotions.push import PushClient
from promotions.push_messages import PromoContent, promo_content
from promotions.running import running
from quintet_shared.clock import Clock
from quintet_shared.db import session_scope

log = logging.getLogger(__name__)

CHUNK = 10_000  # rows taken at a time: bounded memory, however large the audience
MAX_BACKOFF = timedelta(hours=1)
PENDING, SENT, FAILED = NotificationStatus.PENDING.value, NotificationStatus.SENT.value, NotificationStatus.FAILED.value


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    promo_id: int
    user: str
    attempts: int  # rounds before this one


@dataclass
class DeliveryCounts:
    sent: int = 0
    retrying: int = 0  # failed this round, to be sent again later
    failed: int = 0  # failed for good
    errors: list[str] = field(default_factory=list)

    def as_result(self) -> dict[str, Any]:
        return {"sent": self.sent, "retrying": self.retrying, "failed": self.failed, "errors": self.errors[:5]}


async def deliver(
    engine: Engine, settings: Settings, *, client: str, clock: Clock, promo_id: int | None = None
) -> DeliveryCounts:
    """Send the client's claimable notifications: a promo run's own (`promo_id`), or every row whose
    retry is due (None). Returns what became of them."""
    counts = DeliveryCounts()
    contents: dict[int, PromoContent] = {}
    after = 0
    async with PushClient.from_settings(settings) as push:
        while True:
            chunk = await asyncio.to_thread(_take_chunk, engine, client, clock(), promo_id, after, contents)
            if not chunk:
                return counts
            after = chunk[-1].id
            size = push.batch_size
            batches = [chunk[start : start + size] for start in range(0, len(chunk), size)]
            await asyncio.gather(
                *(_send(engine, settings, push, client, batch, contents, clock, counts) for batch in batches)
            )


def run_rows(session: Session, *, client: str, now: datetime, promo_id: int, after: int, limit: int) -> list[Claimed]:
    """A run's rows never tried yet, by id after `after` (see the module's docstring)."""
    rows = session.execute(
        select(Notification.id, Notification.promo_id, Notification.user, Notification.attempts)
        .join(Promo, Promo.id == Notification.promo_id)
        .where(
            Notification.promo_id == promo_id,
            Notification.status == PENDING,
            Notification.attempts == 0,
            Notification.id > after,
            running(client, now),
        )
        .order_by(Notification.id)
        .limit(limit)
    ).all()
    return [Claimed(*row) for row in rows]


def claim_due(session: Session, *, client: str, now: datetime, limit: int) -> list[Claimed]:
    """Take up to `limit` rows whose retry is due, holding them off the other senders for the lease."""
    ids = (
        select(Notification.id)
        .join(Promo, Promo.id == Notification.promo_id)
        .where(
            Notification.client == client,
            Notification.status == PENDING,
            Notification.next_attempt_at <= now,
            running(client, now),
        )
        .order_by(Notification.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=Notification)
    )
    rows = session.execute(
        update(Notification)
        .where(Notification.id.in_(ids.scalar_subquery()))
        .values(next_attempt_at=now + SEND_LEASE)
        .returning(Notification.id, Notification.promo_id, Notification.user, Notification.attempts)
        .execution_options(synchronize_session=False)
    ).all()
    return sorted((Claimed(*row) for row in rows), key=lambda claimed: claimed.id)


def record_outcome(
    session: Session, *, sent: Sequence[int], failed: Sequence[tuple[Claimed, str]], now: datetime, settings: Settings
) -> tuple[int, int]:
    """Count a round on each row; mark `sent` rows sent and schedule (or give up) the `failed` ones;
    (retrying, failed) counts."""
    pending = Notification.status == PENDING
    if sent:
        session.execute(
            update(Notification)
            .where(Notification.id.in_(sent), pending)
            .values(status=SENT, attempts=Notification.attempts + 1, sent_at=now, next_attempt_at=None, last_error=None)
            .execution_options(synchronize_session=False)
        )
    by_round: dict[tuple[int, str], list[int]] = {}
    for claimed, error in failed:
        by_round.setdefault((claimed.attempts + 1, error[:500]), []).append(claimed.id)
    retrying = gave_up = 0
    for (attempts, error), ids in by_round.items():
        values: dict[str, Any] = {"attempts": attempts, "last_error": error}
        if attempts >= settings.notify_attempts:
            values.update(status=FAILED, next_attempt_at=None)
            gave_up += len(ids)
        else:
            values["next_attempt_at"] = now + backoff(settings, attempts)
            retrying += len(ids)
        session.execute(
            update(Notification)
            .where(Notification.id.in_(ids), pending)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    return retrying, gave_up


def backoff(settings: Settings, attempts: int) -> timedelta:
    """The wait after round `attempts` failed: the retry delay, doubled each round, at most an hour."""
    return min(MAX_BACKOFF, timedelta(seconds=settings.notify_retry_seconds * 2 ** (attempts - 1)))


def _take_chunk(
    engine: Engine, client: str, now: datetime, promo_id: int | None, after: int, contents: dict[int, PromoContent]
) -> list[Claimed]:
    with session_scope(engine) as session:
        if promo_id is None:
            chunk = claim_due(session, client=client, now=now, limit=CHUNK)
        else:
            chunk = run_rows(session, client=client, now=now, promo_id=promo_id, after=after, limit=CHUNK)
        missing = {claimed.promo_id for claimed in chunk} - contents.keys()
        if missing:
            rows = session.execute(
                select(Promo, Product, Store)
                .join(Product, Product.id == Promo.product_id)
                .join(Store, Store.id == Product.store_id)
                .where(Promo.id.in_(missing))
            ).all()
            contents.update({promo.id: promo_content(promo, product, store) for promo, product, store in rows})
    return chunk


async def _send(
    engine: Engine,
    settings: Settings,
    push: PushClient,
    client: str,
    batch: Sequence[Claimed],
    contents: dict[int, PromoContent],
    clock: Clock,
    counts: DeliveryCounts,
) -> None:
    messages = [contents[claimed.promo_id].message(user=claimed.user, notification_id=claimed.id) for claimed in batch]
    report = await push.send(messages, client=client)
    sent = [claimed.id for claimed, delivery in zip(batch, report.deliveries, strict=True) if delivery.accepted]
    failed = [
        (claimed, delivery.error or "not accepted")
        for claimed, delivery in zip(batch, report.deliveries, strict=True)
        if not delivery.accepted
    ]
    retrying, gave_up = await asyncio.to_thread(_record, engine, settings, sent, failed, clock())
    counts.sent += len(sent)
    counts.retrying += retrying
    counts.failed += gave_up
    if failed:
        log.warning("%d notifications not accepted by the push provider: %s", len(failed), failed[0][1])
        if len(counts.errors) < 5:
            counts.errors.append(failed[0][1])


def _record(
    engine: Engine, settings: Settings, sent: list[int], failed: list[tuple[Claimed, str]], now: datetime
) -> tuple[int, int]:
    with session_scope(engine) as session:
        return record_outcome(session, sent=sent, failed=failed, now=now, settings=settings)
