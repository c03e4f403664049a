"""What the readings service is made of: read by its app factory, worker, CLI and the run modes."""

from pathlib import Path

from quintet_shared.component import ComponentDefinition
from readings.api import router
from readings.api_files import router as files_router
from readings.config import Settings
from readings.ingestion.job import INGEST_JOB, run_ingest_job
from readings.models import metadata

DEFINITION = ComponentDefinition(
    name="readings",
    title="Quintet Readings",
    port=8001,
    settings_class=Settings,
    metadata=metadata,
    migrations=Path(__file__).resolve().parents[2] / "migrations",
    app_factory="readings.main:create_app",
    routers=[router, files_router],
    jobs={INGEST_JOB: run_ingest_job},
)
