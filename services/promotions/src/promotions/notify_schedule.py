"""When a promo's notification run starts (the design is in notifications.py).

`plan_run` is called by the promo use cases; `start_planned_run` is the scheduler's one-shot action
at the planned time, which queues the run as a job; `queue_due_retries` is the periodic schedule that
queues the sending of notifications whose retry is due, and fails those of promos that ended.
"""

from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

from sqlalchemy import and_, exists, select, true, update
from sqlmodel import Session

from promotions.models import Notification, NotificationStatus, NotifyPlan, Promo
from quintet_shared.jobs import JobStatus, enqueue_job
from quintet_shared.schedules import schedule_once
from quintet_shared.tables import job

SERVICE = "promotions"
NOTIFY_TASK = "promotions.promo.notify"  # the one-shot task at a run's planned time
PROMO_RUN_JOB = "promo_notifications"  # records a promo's notifications and sends them
RETRY_JOB = "notification_retries"  # sends a client's notifications whose retry is due
RETRY_SCHEDULE = "promotions.notifications.retry"
RETRY_EVERY = timedelta(seconds=10)
# A PATCH of one of these plans the run again (at once for a promo on sale: the users it reaches now
# and were not notified yet); other changes (price, units, limits) leave the plan as it is.
REPLANNED_BY = frozenset({"starts_at", "ends_at", "active", "segments", "radius_km", "product_id"})
PENDING = NotificationStatus.PENDING.value
ENDED_ERROR = "the promo ended before it could be sent"


def plan_run(session: Session, *, promo: Promo, now: datetime) -> datetime | None:
    """Plan the promo's run at `max(starts_at, now)`, replacing any earlier plan; None (no run) for an
    inactive or ended promo. Part of the caller's transaction."""
    assert promo.id is not None
    plan = session.get(NotifyPlan, promo.id)
    if plan is None:
        plan = NotifyPlan(promo_id=promo.id, client=promo.client)
        session.add(plan)
    due: datetime | None = None
    plan.task_key = None
    if promo.active and promo.ends_at > now:
        due = max(promo.starts_at, now)
        key = f"{NOTIFY_TASK}:{promo.id}:{uuid4().hex}"
        payload = {"client": promo.client, "promo_id": promo.id, "plan": key}
        schedule_once(session, kind=NOTIFY_TASK, key=key, due_at=due, payload=payload)
        plan.task_key = key
    plan.due_at = due
    session.flush()
    return due


def start_planned_run(session: Session, payload: dict[str, Any], due_at: datetime) -> None:
    """The one-shot action: queue the run if this task is still the promo's plan (a compare-and-set,
    so it starts one run whatever the replicas do)."""
    client, promo_id = str(payload["client"]), int(payload["promo_id"])
    claimed = session.execute(
        update(NotifyPlan)
        .where(NotifyPlan.promo_id == promo_id, NotifyPlan.client == client, NotifyPlan.task_key == payload["plan"])
        .values(task_key=None)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount == 1:
        enqueue_job(
            session,
            service=SERVICE,
            kind=PROMO_RUN_JOB,
            client=client,
            payload={"promo_id": promo_id},
            clock=lambda: due_at,
        )


def queue_due_retries(session: Session, slot: datetime) -> None:
    """The periodic action: fail the pending notifications of promos that ended, and queue one retry
    job per client with notifications due (unless one is queued or running already)."""
    due = and_(Notification.status == PENDING, Notification.next_attempt_at <= slot)
    ended = exists().where(Promo.id == Notification.promo_id, Promo.ends_at <= slot)
    session.execute(
        update(Notification)
        .where(due, ended)
        .values(status=NotificationStatus.FAILED.value, next_attempt_at=None, last_error=ENDED_ERROR)
        .execution_options(synchronize_session=False)
    )
    on_sale = and_(
        Promo.id == Notification.promo_id,
        Promo.active == true(),
        Promo.starts_at <= slot,
        Promo.ends_at > slot,
        Promo.units_sold < Promo.units,
    )
    clients = session.execute(select(Notification.client).where(due, exists().where(on_sale)).distinct()).scalars()
    for client in clients.all():
        if not _retry_queued(session, client):
            enqueue_job(session, service=SERVICE, kind=RETRY_JOB, client=client, payload={}, clock=lambda: slot)


def _retry_queued(session: Session, client: str) -> bool:
    unfinished = (JobStatus.PENDING.value, JobStatus.STARTED.value)
    query = select(job.c.id).where(job.c.client == client, job.c.kind == RETRY_JOB, job.c.status.in_(unfinished))
    return session.execute(query.limit(1)).first() is not None
