"""Orders synced on a schedule: every SYNC_EVERY the worker queues one `sync_orders` job per client
that has a store with an API token (unless one is queued or running already), and the job syncs
each of those stores (order_sync.py). A store that fails (its token refused, the marketplace down)
is reported in the job's errors and tried again at the next slot; the others are synced."""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from marketplace.config import Settings
from marketplace.models import Store
from marketplace.order_sync import stores_to_sync, sync_store
from marketplace.orders_api import OrdersApi, OrdersApiError
from marketplace.token_crypto import TokenUnreadable
from quintet_shared.jobs import JobContext, JobOutcome, JobStatus, enqueue_job
from quintet_shared.tables import job

SYNC_SCHEDULE = "marketplace.orders.sync"
SYNC_EVERY = timedelta(minutes=5)
SYNC_JOB = "sync_orders"


def queue_order_syncs(session: Session, slot: datetime) -> None:
    """The periodic action: a sync job per client with a store to sync and none unfinished."""
    query = select(Store.client).where(Store.api_token_encrypted.is_not(None)).distinct()  # type: ignore[union-attr]
    for client in session.execute(query).scalars().all():
        if not _queued(session, client):
            enqueue_job(session, service="marketplace", kind=SYNC_JOB, client=client, payload={}, clock=lambda: slot)


def run_sync_job(ctx: JobContext) -> JobOutcome:
    settings = Settings()
    api = OrdersApi(settings.orders_url, timeout=settings.orders_timeout_seconds, attempts=settings.orders_attempts)
    synced: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    try:
        store_ids = stores_to_sync(ctx.engine, client=ctx.client)
        for done, store_id in enumerate(store_ids):
            ctx.progress(done, len(store_ids))
            try:
                result = sync_store(ctx.engine, store_id=store_id, settings=settings, api=api, clock=ctx.clock)
            except (OrdersApiError, TokenUnreadable, ValueError) as exc:
                errors.append({"message": f"store {store_id}: {exc}"})
                continue
            synced.append(result.model_dump(mode="json"))
    finally:
        api.close()
    recorded = sum(item["recorded"] for item in synced)
    return JobOutcome(
        result={"stores": synced, "recorded": recorded}, errors=errors, failed=bool(errors) and not synced
    )


def _queued(session: Session, client: str) -> bool:
    unfinished = (JobStatus.PENDING.value, JobStatus.STARTED.value)
    query = select(job.c.id).where(job.c.client == client, job.c.kind == SYNC_JOB, job.c.status.in_(unfinished))
    return session.execute(query.limit(1)).first() is not None
