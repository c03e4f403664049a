"""What the promotions service is made of: read by its app factory, worker, CLI and the run modes."""

from pathlib import Path

from promotions.api import router
from promotions.config import Settings
from promotions.models import metadata
from promotions.notify_jobs import run_notification_retries, run_promo_notifications
from promotions.notify_schedule import (
    NOTIFY_TASK,
    PROMO_RUN_JOB,
    RETRY_EVERY,
    RETRY_JOB,
    RETRY_SCHEDULE,
    queue_due_retries,
    start_planned_run,
)
from promotions.profile_uploads import IMPORT_JOB, run_import_job
from quintet_shared.component import ComponentDefinition
from quintet_shared.schedules import Periodic

DEFINITION = ComponentDefinition(
    name="promotions",
    title="Quintet Promotions",
    port=8002,
    settings_class=Settings,
    metadata=metadata,
    migrations=Path(__file__).resolve().parents[2] / "migrations",
    app_factory="promotions.main:create_app",
    routers=[router],
    jobs={PROMO_RUN_JOB: run_promo_notifications, RETRY_JOB: run_notification_retries, IMPORT_JOB: run_import_job},
    periodic=[Periodic(RETRY_SCHEDULE, RETRY_EVERY, queue_due_retries)],
    one_shot={NOTIFY_TASK: start_planned_run},
)
