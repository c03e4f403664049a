"""What the marketplace service is made of: read by its app factory, worker, CLI and the run modes."""

from pathlib import Path

from marketplace import api_landing
from marketplace.api import router
from marketplace.api_feed import public as feed_public
from marketplace.config import Settings
from marketplace.models import metadata
from marketplace.monitor_jobs import (
    MONITOR_JOB,
    MONITOR_SCHEDULE,
    MONITOR_TICK,
    TELEGRAM_JOB,
    queue_due_rounds,
    run_monitoring_job,
    run_telegram_job,
)
from marketplace.orders_schedule import SYNC_EVERY, SYNC_JOB, SYNC_SCHEDULE, queue_order_syncs, run_sync_job
from marketplace.product_uploads import IMPORT_JOB, run_import_job
from quintet_shared.component import ComponentDefinition
from quintet_shared.schedules import Periodic

DEFINITION = ComponentDefinition(
    name="marketplace",
    title="Quintet Marketplace",
    port=8005,
    settings_class=Settings,
    metadata=metadata,
    migrations=Path(__file__).resolve().parents[2] / "migrations",
    app_factory="marketplace.main:create_app",
    routers=[router],
    public_routers=[api_landing.router, feed_public],
    jobs={
        IMPORT_JOB: run_import_job,
        SYNC_JOB: run_sync_job,
        MONITOR_JOB: run_monitoring_job,
        TELEGRAM_JOB: run_telegram_job,
    },
    periodic=[
        Periodic(SYNC_SCHEDULE, SYNC_EVERY, queue_order_syncs),
        Periodic(MONITOR_SCHEDULE, MONITOR_TICK, queue_due_rounds),
    ],
)
