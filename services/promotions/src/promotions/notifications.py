"""A promo's notification run: who is notified, recorded once, then pushed.

1. Planning (notify_schedule.py). Creating a promo, or a PATCH of what decides its audience or time
   (`starts_at`, `ends_at`, `active`, `segments`, `radius_km`, `product_id`), plans a run at
   `max(starts_at, now)` as a one-shot task of the kit's scheduler; its `notify_plan` row holds the
   key of the one task that may still start it. A task whose key is no longer the plan's (moved,
   deactivated, deleted: the row went with the promo) does nothing, so a move earlier runs once at
   the new time and a move later never at the old one. Replicas: the scheduler fires a task once
   (FOR UPDATE SKIP LOCKED), and the task's compare-and-set on the plan row starts one run.
2. Recording (`record_run`, here, in the job the task queues). If the promo is on sale now (active,
   started, not ended, not sold out), one INSERT ... SELECT adds a `pending` notification for every
   profile in one of its segments within its radius of the store, ON CONFLICT DO NOTHING against
   both unique indexes: a user this promo already notified (an earlier run, before an edit) and a
   user already notified that local day (the store's time zone) are skipped by the database itself,
   under concurrent runs too. The candidates come from the indexed bounding box
   (eligibility.profiles_in_reach) and the exact distance is computed in SQL on them only (geo_sql).
   The first run of a promo publishes `promotions.promo.started` in the same transaction.
3. Sending (notify_delivery.py): the job reads the rows its run recorded (kept from the retries for
   `SEND_LEASE` by the INSERT itself), pushes them in batches of up to 500 (a few at once; 429s slow
   it down), and records each batch's outcome: accepted → `sent`; failed → retried later by a
   periodic schedule with backoff, `failed` after `PROMOTIONS_NOTIFY_ATTEMPTS` rounds or once the
   promo has ended. A notification's id is its idempotency key at the provider, so a row sent twice
   (an outcome never recorded, a duplicate run, a lease outlived) is delivered once.

Exact distance: computed in SQL on the bounding box's candidates (geo_sql), so that selecting and
recording are one statement with no round trip of candidates through Python; PostgreSQL evaluates
geo.distance_km's formula itself, SQLite calls geo.distance_km through a registered function.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Date, Integer, String, and_, literal, select, update
from sqlmodel import Session

from promotions.eligibility import profiles_in_reach
from promotions.events import PROMO_STARTED, PromoStarted
from promotions.geo_sql import distance_from
from promotions.models import Notification, NotificationStatus, NotifyPlan, Profile, Promo, PromoSegment, Store
from promotions.push_messages import store_zone
from promotions.running import running, running_rows
from quintet_shared.envelope import Envelope
from quintet_shared.outbox import add_event
from quintet_shared.types import UTCDateTime
from quintet_shared.upsert import insert_for

# How long a run keeps the rows it records (and a send the rows it claims) from the retries: longer
# than a send takes. A worker that dies leaves its rows to the retries after this.
SEND_LEASE = timedelta(minutes=15)


@dataclass(frozen=True)
class RunRecord:
    promo_id: int
    recorded: int  # notifications this run added
    first: bool  # the promo's first run: it published promotions.promo.started


def record_run(session: Session, *, client: str, promo_id: int, now: datetime) -> RunRecord | None:
    """Record the notifications of a promo's run at `now`; None when the promo is not on sale now
    (deleted, deactivated, moved later, ended or sold out). Does not commit."""
    row = session.execute(running_rows(and_(running(client, now), Promo.id == promo_id))).first()
    if row is None:
        return None
    promo, product_name, _, _, store = row
    recorded = _insert_eligible(session, promo=promo, store=store, now=now)
    first = _count_run(session, client=client, promo_id=promo_id, recorded=recorded, now=now)
    if first:
        started = PromoStarted(
            promo_id=promo_id,
            product_id=promo.product_id,
            product_name=product_name,
            store_id=store.id,
            store_name=store.name,
            starts_at=promo.starts_at,
            ends_at=promo.ends_at,
            started_at=now,
            eligible=recorded,
        )
        envelope = Envelope.new(type=PROMO_STARTED, source="promotions", client=client, data=started, time=now)
        add_event(session, envelope)
    return RunRecord(promo_id=promo_id, recorded=recorded, first=first)


def _insert_eligible(session: Session, *, promo: Promo, store: Store, now: datetime) -> int:
    """One INSERT ... SELECT of the promo's users not yet notified (by it, or that local day)."""
    segment_ids = (
        session.execute(select(PromoSegment.segment_id).where(PromoSegment.promo_id == promo.id)).scalars().all()
    )
    if not segment_ids:
        return 0
    reach = profiles_in_reach(
        client=promo.client,
        segment_ids=segment_ids,
        latitude=store.latitude,
        longitude=store.longitude,
        radius_km=promo.radius_km,
    )
    distance = distance_from(session, store.latitude, store.longitude, Profile.latitude, Profile.longitude)
    day = now.astimezone(store_zone(store.timezone)).date()
    rows = (
        reach.with_only_columns(
            literal(promo.client, String),
            literal(promo.id, Integer),
            Profile.user,
            literal(day, Date),
            literal(NotificationStatus.PENDING.value, String),
            literal(0, Integer),
            literal(now, UTCDateTime),
            literal(now + SEND_LEASE, UTCDateTime),  # the run sends them; the retries wait
        )
        .where(distance <= promo.radius_km)
        .order_by(None)
    )
    columns = ["client", "promo_id", "user", "day", "status", "attempts", "created_at", "next_attempt_at"]
    statement = insert_for(session, Notification.__table__).from_select(columns, rows).on_conflict_do_nothing()
    # SQLAlchemy reads an INSERT's row count only when asked to keep it (else -1 on PostgreSQL).
    return max(session.execute(statement.execution_options(preserve_rowcount=True)).rowcount, 0)


def _count_run(session: Session, *, client: str, promo_id: int, recorded: int, now: datetime) -> bool:
    """Count the run on the promo's plan; True for its first run (a compare-and-set, so two runs
    at once still publish one start)."""
    session.execute(
        insert_for(session, NotifyPlan)
        .values(promo_id=promo_id, client=client, runs=0, recorded=0)
        .on_conflict_do_nothing(index_elements=["promo_id"])
    )
    plan = NotifyPlan.promo_id == promo_id
    session.execute(
        update(NotifyPlan)
        .where(plan)
        .values(runs=NotifyPlan.runs + 1, recorded=NotifyPlan.recorded + recorded)
        .execution_options(synchronize_session=False)
    )
    first = session.execute(
        update(NotifyPlan)
        .where(plan, NotifyPlan.started_at.is_(None))
        .values(started_at=now)
        .execution_options(synchronize_session=False)
    )
    return first.rowcount == 1
