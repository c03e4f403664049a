"""A billing run: charge a client's subscriptions due on a local date, now (the worker's job and
`subscriptions billing run` both call `run_billing`).

In chunks of `CHUNK` subscriptions by id (bounded memory, however many are due): claim the chunk and
record its attempts (one transaction, committed before any call: billing_claims.py), call the
provider for each, `billing_concurrency` at once, then record the answers (one transaction:
billing_outcomes.py). Each subscription is tried at most once per run; its next try is the next
run's (the schedule's, every `BILLING_EVERY`), after its backoff or lease. Safe to run twice at once
or after a crash: the claim is conditional, a pending attempt is sent again with its own key.
"""

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.engine import Engine

from quintet_shared.clock import Clock
from quintet_shared.db import session_scope
from subscriptions.billing_claims import Chunk, Claim, claim_due, count_waiting, lapse_ended_periods
from subscriptions.billing_outcomes import Recorded, record_answers
from subscriptions.billing_policy import charge_lease
from subscriptions.billing_provider import Answer, BillingProvider
from subscriptions.client_settings import get_settings, local_date
from subscriptions.config import Settings

log = logging.getLogger(__name__)

CHUNK = 500
SHOWN_ERRORS = 5


@dataclass
class BillingSummary:
    day: date
    attempted: int = 0  # calls made (resent pending ones included)
    resent: int = 0  # of which a pending attempt sent again with its key
    lapsed: int = 0  # billing dates moved past periods that ended unpaid
    waiting: int = 0  # due, but their next try is later (a backoff, or a call in flight elsewhere)
    recorded: Recorded = field(default_factory=Recorded)
    errors: list[str] = field(default_factory=list)  # the first few distinct reasons a charge had no answer

    def as_result(self) -> dict[str, Any]:
        recorded = self.recorded
        return {
            "date": self.day.isoformat(),
            "attempted": self.attempted,
            "resent": self.resent,
            "charged": recorded.charged,
            "declined": recorded.declined,
            "cancelled": recorded.cancelled,
            "unanswered": recorded.unanswered,
            "lapsed": self.lapsed,
            "waiting": self.waiting,
            "errors": self.errors,
        }


async def run_billing(
    engine: Engine,
    settings: Settings,
    *,
    client: str,
    clock: Clock,
    day: date | None = None,
    provider: BillingProvider | None = None,
    chunk: int = CHUNK,
) -> BillingSummary:
    """Charge what is due for `client` on local date `day` (today in its time zone when None), `chunk`
    subscriptions at a time."""
    timezone, today = await asyncio.to_thread(_zone_and_today, engine, client, clock)
    summary = BillingSummary(day=day or today)
    summary.lapsed = await asyncio.to_thread(_lapse, engine, client, summary.day, clock)
    async with provider or BillingProvider.from_settings(settings) as billing:
        after = 0
        while True:
            taken = await asyncio.to_thread(_claim, engine, settings, client, summary.day, clock, after, chunk)
            if taken.last_id is None:
                break
            after, claims = taken.last_id, taken.claims
            answers = await asyncio.gather(*(_charge(billing, client, claim) for claim in claims))
            answered = list(zip(claims, answers, strict=True))
            recorded = await asyncio.to_thread(_record, engine, settings, client, timezone, answered, clock)
            summary.attempted += len(claims)
            summary.resent += sum(claim.resent for claim in claims)
            summary.recorded.add(recorded)
            _note_errors(summary, answers)
    summary.waiting = await asyncio.to_thread(_waiting, engine, client, summary.day, clock)
    if summary.recorded.unanswered:
        log.warning(
            "%d charges of %s have no answer from the billing provider (pending, sent again later): %s",
            summary.recorded.unanswered,
            client,
            "; ".join(summary.errors),
        )
    return summary


def _note_errors(summary: BillingSummary, answers: Sequence[Answer]) -> None:
    for answer in answers:
        if answer.error and answer.error not in summary.errors and len(summary.errors) < SHOWN_ERRORS:
            summary.errors.append(answer.error)


async def _charge(billing: BillingProvider, client: str, claim: Claim) -> Answer:
    return await billing.charge(client=client, msisdn=claim.msisdn, plan_code=claim.plan.code, key=claim.key)


def _zone_and_today(engine: Engine, client: str, clock: Clock) -> tuple[str, date]:
    now = clock()
    with session_scope(engine) as session:
        settings = get_settings(session, client=client, now=now)
        return settings.timezone, local_date(settings, now)


def _lapse(engine: Engine, client: str, day: date, clock: Clock) -> int:
    with session_scope(engine) as session:
        return lapse_ended_periods(session, client=client, day=day, now=clock())


def _claim(engine: Engine, settings: Settings, client: str, day: date, clock: Clock, after: int, limit: int) -> Chunk:
    now = clock()
    with session_scope(engine) as session:
        lease_until = now + charge_lease(settings)
        return claim_due(session, client=client, day=day, now=now, lease_until=lease_until, after=after, limit=limit)


def _record(
    engine: Engine,
    settings: Settings,
    client: str,
    timezone: str,
    answered: Sequence[tuple[Claim, Answer]],
    clock: Clock,
) -> Recorded:
    with session_scope(engine) as session:
        return record_answers(session, answered, client=client, timezone=timezone, now=clock(), settings=settings)


def _waiting(engine: Engine, client: str, day: date, clock: Clock) -> int:
    with session_scope(engine) as session:
        return count_waiting(session, client=client, day=day, now=clock())
