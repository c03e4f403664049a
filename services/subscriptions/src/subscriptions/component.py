"""What the subscriptions service is made of: read by its app factory, worker, CLI and the run modes."""

from pathlib import Path

from quintet_shared.component import ComponentDefinition
from quintet_shared.schedules import Periodic
from subscriptions.api import public_routers, router
from subscriptions.billing_schedule import (
    BILLING_EVERY,
    BILLING_JOB,
    BILLING_SCHEDULE,
    queue_due_billing,
    run_billing_job,
)
from subscriptions.config import Settings
from subscriptions.csv_uploads import IMPORT_JOB, run_import_job
from subscriptions.models import metadata
from subscriptions.sms_jobs import run_daily_sms, run_sms_resend
from subscriptions.sms_schedule import (
    DAILY_EVERY,
    DAILY_SCHEDULE,
    DAILY_TASK,
    DAY_JOB,
    RESEND_JOB,
    SWEEP_EVERY,
    SWEEP_SCHEDULE,
    queue_daily_runs,
    start_daily_run,
    sweep,
)

DEFINITION = ComponentDefinition(
    name="subscriptions",
    title="Quintet Subscriptions",
    port=8003,
    settings_class=Settings,
    metadata=metadata,
    migrations=Path(__file__).resolve().parents[2] / "migrations",
    app_factory="subscriptions.main:create_app",
    routers=[router],
    public_routers=public_routers,
    jobs={BILLING_JOB: run_billing_job, IMPORT_JOB: run_import_job, DAY_JOB: run_daily_sms, RESEND_JOB: run_sms_resend},
    periodic=[
        Periodic(BILLING_SCHEDULE, BILLING_EVERY, queue_due_billing),
        Periodic(DAILY_SCHEDULE, DAILY_EVERY, queue_daily_runs),
        Periodic(SWEEP_SCHEDULE, SWEEP_EVERY, sweep),
    ],
    one_shot={DAILY_TASK: start_daily_run},
)
