"""What the subscriptions service is made of: read by its app factory, worker, CLI and the run modes."""

from pathlib import Path

from quintet_shared.component import ComponentDefinition
from subscriptions.api import router
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
    jobs={IMPORT_JOB: run_import_job},
)
