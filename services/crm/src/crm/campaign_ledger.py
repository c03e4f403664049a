"""A campaign's ledger: one `outreach_event` per (campaign, customer), worked through in batches.

- Record (`record_audience`): one INSERT ... SELECT of the segment's customers, ON CONFLICT DO
  NOTHING on the (campaign, customer) unique constraint, so a second run, or two runs at once, add
  only customers not yet in the ledger, and never break on the constraint. Unsubscribed customers are
  recorded `skipped`; the others `queued`, due now.
- Claim (`claim_batch`): up to a batch of queued events that are due, in id order, each pushed
  `lease` into the future and counted as a try, in one UPDATE ... RETURNING (on PostgreSQL over
  `FOR UPDATE SKIP LOCKED`, so runs at once split the work; SQLite runs one writer at a time).
  A worker that dies leaves its claimed events to whichever run finds them due when the lease ends.
- Record outcomes (`record_outcomes`): accepted → `sent`; refused for good, or out of tries →
  `failed`; a transient failure → `queued` again, due after a backoff that doubles each try. Only
  rows still queued change: an outcome never overwrites a final state.
- Finish (`finish_campaign`): the campaign becomes `completed` with its summary only when no event
  is queued, by one conditional UPDATE, so two runs finishing together complete it (and publish
  `crm.campaign.completed`) once.

Everything here is a statement in the caller's transaction; the caller commits.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Integer, String, and_, case, exists, func, literal, select, update
from sqlmodel import Session

from crm.events import CAMPAIGN_COMPLETED, CampaignCompleted
from crm.models import Campaign, CampaignStatus, Customer, OutreachEvent, OutreachStatus, Restaurant
from crm.segments import segment_condition
from quintet_shared.envelope import Envelope
from quintet_shared.outbox import add_event
from quintet_shared.types import UTCDateTime
from quintet_shared.upsert import insert_for

QUEUED, SENT = OutreachStatus.QUEUED.value, OutreachStatus.SENT.value
FAILED, SKIPPED = OutreachStatus.FAILED.value, OutreachStatus.SKIPPED.value
MAX_BACKOFF = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Claimed:
    event_id: int
    customer_id: int
    attempts: int  # tries including this one
    email: str
    first_name: str
    last_name: str
    unsubscribed: bool


@dataclass(frozen=True, slots=True)
class Retry:
    event_id: int
    attempts: int
    error: str


def record_audience(session: Session, *, campaign: Campaign, now: datetime) -> int:
    """Add the campaign's segment to its ledger; returns how many customers were added."""
    condition = segment_condition(
        session,
        client=campaign.client,
        segment_type=campaign.segment_type,
        value=campaign.segment_value,
        now=now,
        restaurant_id=campaign.restaurant,
    )
    unsubscribed = Customer.unsubscribed_at.is_not(None)  # type: ignore[union-attr]
    rows = (
        select(
            literal(campaign.client, String),
            literal(campaign.id, Integer),
            Customer.id,
            case((unsubscribed, literal(SKIPPED, String)), else_=literal(QUEUED, String)),
            literal(0, Integer),
            literal(now, UTCDateTime),
            literal(now, UTCDateTime),
            case((unsubscribed, literal(None, UTCDateTime)), else_=literal(now, UTCDateTime)),
        )
        .select_from(Customer)
        .join(Restaurant, Restaurant.id == Customer.restaurant)  # type: ignore[arg-type]
        .where(Customer.client == campaign.client, Customer.restaurant == campaign.restaurant, condition)
    )
    columns = ["client", "campaign", "customer", "status", "attempts", "created_at", "updated_at", "next_attempt_at"]
    statement = insert_for(session, OutreachEvent.__table__).from_select(columns, rows).on_conflict_do_nothing()
    # SQLAlchemy reads an INSERT's row count only when asked to keep it (else -1 on PostgreSQL).
    return max(session.execute(statement.execution_options(preserve_rowcount=True)).rowcount, 0)


def claim_batch(session: Session, *, campaign_id: int, now: datetime, limit: int, lease: timedelta) -> list[Claimed]:
    """Take up to `limit` due events of the campaign for `lease` (see the module's docstring)."""
    due = (
        select(OutreachEvent.id)
        .where(
            OutreachEvent.campaign == campaign_id,
            OutreachEvent.status == QUEUED,
            OutreachEvent.next_attempt_at <= now,  # type: ignore[operator]
        )
        .order_by(OutreachEvent.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    taken = session.execute(
        update(OutreachEvent)
        .where(OutreachEvent.id.in_(due.scalar_subquery()))  # type: ignore[union-attr]
        .values(next_attempt_at=now + lease, attempts=OutreachEvent.attempts + 1, updated_at=now)
        .returning(OutreachEvent.id, OutreachEvent.customer, OutreachEvent.attempts)
        .execution_options(synchronize_session=False)
    ).all()
    if not taken:
        return []
    customers = {
        row.id: row
        for row in session.execute(
            select(
                Customer.id, Customer.email, Customer.first_name, Customer.last_name, Customer.unsubscribed_at
            ).where(
                Customer.id.in_([row.customer for row in taken])  # type: ignore[union-attr]
            )
        )
    }
    claimed = [
        Claimed(
            event_id=row.id,
            customer_id=row.customer,
            attempts=row.attempts,
            email=customers[row.customer].email,
            first_name=customers[row.customer].first_name,
            last_name=customers[row.customer].last_name,
            unsubscribed=customers[row.customer].unsubscribed_at is not None,
        )
        for row in taken
        if row.customer in customers  # a customer deleted since takes its events with it
    ]
    return sorted(claimed, key=lambda item: item.event_id)


def next_due(session: Session, *, campaign_id: int) -> datetime | None:
    """When the campaign's next queued event is due (a retry's backoff, a lease); None: none is queued."""
    return session.execute(
        select(func.min(OutreachEvent.next_attempt_at)).where(
            OutreachEvent.campaign == campaign_id, OutreachEvent.status == QUEUED
        )
    ).scalar_one()


def record_outcomes(
    session: Session,
    *,
    now: datetime,
    sent: Sequence[int] = (),
    skipped: Sequence[int] = (),
    failed: Sequence[tuple[int, str]] = (),
    retries: Sequence[Retry] = (),
    max_attempts: int,
    retry_seconds: float,
) -> dict[str, int]:
    """Record a batch's outcomes (see the module's docstring); returns the count of each."""
    queued = OutreachEvent.status == QUEUED
    counts = {"sent": len(sent), "skipped": len(skipped), "failed": 0, "retrying": 0}

    def mark(ids: Sequence[int], **values: object) -> None:
        if ids:
            session.execute(
                update(OutreachEvent)
                .where(OutreachEvent.id.in_(ids), queued)  # type: ignore[union-attr]
                .values(updated_at=now, **values)
                .execution_options(synchronize_session=False)
            )

    mark(sent, status=SENT, sent_at=now, next_attempt_at=None, last_error=None)
    mark(skipped, status=SKIPPED, next_attempt_at=None)
    by_error: dict[tuple[str, str, datetime | None], list[int]] = {}
    for event_id, error in failed:
        by_error.setdefault((FAILED, error[:500], None), []).append(event_id)
    for retry in retries:
        if retry.attempts >= max_attempts:
            key = (FAILED, retry.error[:500], None)
        else:
            key = (QUEUED, retry.error[:500], now + backoff(retry_seconds, retry.attempts))
        by_error.setdefault(key, []).append(retry.event_id)
    for (status, error, due), ids in by_error.items():
        mark(ids, status=status, last_error=error, next_attempt_at=due)
        counts["failed" if status == FAILED else "retrying"] += len(ids)
    return counts


def backoff(retry_seconds: float, attempts: int) -> timedelta:
    """The wait after try `attempts` failed: the retry delay, doubled after each try, at most an hour."""
    return min(MAX_BACKOFF, timedelta(seconds=retry_seconds * 2 ** (attempts - 1)))


def summary(session: Session, *, campaign_id: int) -> dict[str, int]:
    counts = dict(
        session.execute(
            select(OutreachEvent.status, func.count())
            .where(OutreachEvent.campaign == campaign_id)
            .group_by(OutreachEvent.status)
        ).all()
    )
    return {status: int(counts.get(status, 0)) for status in (SENT, FAILED, SKIPPED, QUEUED)}


def finish_campaign(session: Session, *, campaign_id: int, run_started_at: datetime, now: datetime) -> bool:
    """Complete the campaign if its current run is the one that started at `run_started_at` and no
    event is queued; publish `crm.campaign.completed` then. True when this call completed it."""
    nothing_queued = ~exists().where(OutreachEvent.campaign == campaign_id, OutreachEvent.status == QUEUED)
    completed = session.execute(
        update(Campaign)
        .where(
            and_(
                Campaign.id == campaign_id,
                Campaign.status == CampaignStatus.RUNNING.value,
                Campaign.started_at == run_started_at,  # type: ignore[arg-type]
            ),
            nothing_queued,
        )
        .values(status=CampaignStatus.COMPLETED.value, completed_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if completed.rowcount != 1:
        return False
    counts = summary(session, campaign_id=campaign_id)
    final = {"sent": counts[SENT], "failed": counts[FAILED], "skipped": counts[SKIPPED]}
    session.execute(
        update(Campaign)
        .where(Campaign.id == campaign_id)  # type: ignore[arg-type]
        .values(summary=final)
        .execution_options(synchronize_session=False)
    )
    campaign = session.execute(
        select(Campaign.client, Campaign.restaurant, Campaign.name).where(Campaign.id == campaign_id)  # type: ignore[arg-type]
    ).one()
    data = CampaignCompleted(
        campaign_id=campaign_id,
        restaurant_id=campaign.restaurant,
        name=campaign.name,
        started_at=run_started_at,
        completed_at=now,
        **final,
    )
    add_event(session, Envelope.new(type=CAMPAIGN_COMPLETED, source="crm", client=campaign.client, data=data, time=now))
    return True
