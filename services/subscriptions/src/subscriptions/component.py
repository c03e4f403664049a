"""What the subscriptions service is made of: read by its app factory, worker, CLI and the run modes."""

from pathlib import Path

from quintet_shared.component import ComponentDefinition
from quintet_shared.schedules import Periodic
from subscriptions.api import router
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

DEFINITION = ComponentDefinition(
    name="subscriptions",
    title="Quintet Subscriptions",
    port=8003,
    settings_class=Settings,
    metadata=metadata,
    migrations=Path(__file__).resolve().parents[2] / "migrations",
    app_factory="subscriptions.main:create_app",
    routers=[router],
    jobs={BILLING_JOB: run_billing_job, IMPORT_JOB: run_import_job},
    periodic=[Periodic(BILLING_SCHEDULE, BILLING_EVERY, queue_due_billing)],
)
