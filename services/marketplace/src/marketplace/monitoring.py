"""One monitoring round of a client: fetch the competitors' offers of every monitored product, reprice.

The round is planned (marketplace.monitoring_plan: the tariff's limit, the rules), then its products'
offers are fetched by `offers_concurrency` workers through one OffersClient (rate limit, retries),
while a writer lands each batch of `BATCH` results in its own transaction
(marketplace.monitoring_apply) in a thread: fetching and the database work at once, and a round
cut off halfway keeps what it landed. At the end the round's summary is stored, a tariff limit that
skipped products is notified, the stores' price feeds are rebuilt when a price changed, and pending
Telegram notifications are sent.
"""

import asyncio
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy.engine import Engine

from marketplace.config import Settings
from marketplace.feed import rebuild_client_feeds
from marketplace.models import MonitoringRound
from marketplace.monitoring_apply import Counts, Fetched, apply_batch
from marketplace.monitoring_plan import RoundPlan, Target, plan_round
from marketplace.notifications import digest_notification, limited_notification
from marketplace.notify_telegram import send_pending
from marketplace.offers_client import OffersClient, OffersError, OffersSettings
from quintet_shared.clock import Clock
from quintet_shared.db import session_scope

log = logging.getLogger(__name__)

BATCH = 500
QUEUED_BATCHES = 4  # batches waiting for the writer before fetching pauses (bounded memory)


@dataclass
class RoundSummary:
    round_id: int
    client: str
    monitored: int
    limit: int | None
    skipped_over_limit: int
    skipped_unlinked: int
    city_id: str | None
    dry_run: bool
    counts: Counts = field(default_factory=Counts)
    seconds: float = 0.0
    notified: int = 0

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(data.pop("counts"))
        return data

    def lines(self) -> list[str]:
        c = self.counts
        lines = [
            f"round {self.round_id} of {self.client}: {self.monitored} products in {self.seconds:.1f} s",
            f"fetched {c.fetched}, failed {c.failed}; changed {c.changed}, proposed {c.proposed} (dry run),"
            f" blocked {c.blocked}, unchanged {c.unchanged}",
        ]
        if c.vanished:
            lines.append(f"{c.vanished} products were deleted or stopped repricing during the round")
        if self.skipped_over_limit:
            lines.append(f"skipped {self.skipped_over_limit} products over the tariff's limit of {self.limit}")
        if self.skipped_unlinked:
            lines.append(f"skipped {self.skipped_unlinked} repriced products without a marketplace product id")
        if self.city_id is None:
            lines.append("no store: nothing to monitor (a store gives the city and the seller's own merchant id)")
        return lines


def offers_settings(settings: Settings) -> OffersSettings:
    return OffersSettings(
        url=settings.offers_url,
        concurrency=settings.offers_concurrency,
        rate_per_second=settings.offers_rate_per_second,
        page_size=settings.offers_page_size,
        max_pages=settings.offers_max_pages,
        attempts=settings.offers_attempts,
        timeout_seconds=settings.offers_timeout_seconds,
    )


async def run_round(
    engine: Engine,
    settings: Settings,
    *,
    client: str,
    clock: Clock,
    progress: Callable[[int, int], None] | None = None,
) -> RoundSummary:
    """Run one round for `client` now and return its summary (also stored on the round's row)."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    plan = await asyncio.to_thread(_plan, engine, client, clock)
    summary = RoundSummary(
        round_id=plan.round_id,
        client=client,
        monitored=len(plan.targets) if plan.city_id else 0,
        limit=plan.limit,
        skipped_over_limit=plan.skipped_over_limit,
        skipped_unlinked=plan.skipped_unlinked,
        city_id=plan.city_id,
        dry_run=plan.rules.dry_run,
    )
    if plan.city_id is not None and plan.targets:
        await _fetch_and_apply(engine, settings, plan, summary, clock, progress)
    summary.seconds = round(loop.time() - started, 3)
    await asyncio.to_thread(_finish, engine, plan, summary, clock)
    summary.notified = (await send_pending(engine, settings, client=client, clock=clock)).sent
    return summary


async def _fetch_and_apply(
    engine: Engine,
    settings: Settings,
    plan: RoundPlan,
    summary: RoundSummary,
    clock: Clock,
    progress: Callable[[int, int], None] | None,
) -> None:
    assert plan.city_id is not None
    city = plan.city_id
    queue: asyncio.Queue[list[Fetched] | None] = asyncio.Queue(maxsize=QUEUED_BATCHES)
    targets = iter(plan.targets)
    batch: list[Fetched] = []

    async def writer() -> None:
        while (landing := await queue.get()) is not None:
            counts = await asyncio.to_thread(_apply, engine, plan, landing, clock)
            summary.counts.add(counts)
            if progress is not None:
                progress(summary.counts.fetched + summary.counts.failed, len(plan.targets))

    async def fetcher(offers: OffersClient) -> None:
        nonlocal batch
        for target in targets:  # one shared iterator: each target is taken by one fetcher
            fetched = await _fetch(offers, target, city)
            # `batch` is read after the await: another fetcher may have queued the list it was before.
            batch.append(fetched)
            if len(batch) >= BATCH:
                full, batch = batch, []
                await queue.put(full)

    writing = asyncio.create_task(writer())
    try:
        async with OffersClient(offers_settings(settings), client=plan.client) as offers:
            await asyncio.gather(*(fetcher(offers) for _ in range(settings.offers_concurrency)))
        if batch:
            await queue.put(batch)
        await queue.put(None)
        await writing
    finally:
        if not writing.done():
            writing.cancel()


async def _fetch(offers: OffersClient, target: Target, city: str) -> Fetched:
    try:
        return target, await offers.product_offers(target.marketplace_product_id, city)
    except OffersError as exc:
        return target, exc


def _plan(engine: Engine, client: str, clock: Clock) -> RoundPlan:
    with session_scope(engine) as session:
        return plan_round(session, client=client, now=clock())


def _apply(engine: Engine, plan: RoundPlan, batch: list[Fetched], clock: Clock) -> Counts:
    with session_scope(engine) as session:
        return apply_batch(session, plan, batch, now=clock())


def _finish(engine: Engine, plan: RoundPlan, summary: RoundSummary, clock: Clock) -> None:
    now = clock()
    with session_scope(engine) as session:
        row = session.get(MonitoringRound, plan.round_id)
        if row is not None:
            row.finished_at = now
            row.summary = summary.as_dict()
        if plan.skipped_over_limit and plan.limit is not None:
            limited_notification(
                session, client=plan.client, skipped=plan.skipped_over_limit, limit=plan.limit, now=now
            )
        if plan.unnotified_changes:
            digest_notification(
                session, client=plan.client, round_id=plan.round_id, more=plan.unnotified_changes, now=now
            )
        if summary.counts.changed:
            rebuild_client_feeds(session, client=plan.client, now=now)
