"""What the promotions service is made of: read by its app factory, worker, CLI and the run modes."""

from pathlib import Path

from promotions.api import router
from promotions.config import Settings
from promotions.models import metadata
from promotions.profile_uploads import IMPORT_JOB, run_import_job
from quintet_shared.component import ComponentDefinition

DEFINITION = ComponentDefinition(
    name="promotions",
    title="Quintet Promotions",
    port=8002,
    settings_class=Settings,
    metadata=metadata,
    migrations=Path(__file__).resolve().parents[2] / "migrations",
    app_factory="promotions.main:create_app",
    routers=[router],
    jobs={IMPORT_JOB: run_import_job},
)
