"""What the crm service is made of: read by its app factory, worker, CLI and the run modes."""

from pathlib import Path

from crm.api import router
from crm.api_dashboard import router as dashboard_router
from crm.api_unsubscribe import router as unsubscribe_router
from crm.campaign_runs import RUN_JOB
from crm.campaign_sender import run_campaign_job
from crm.config import Settings
from crm.consumers import EVENT_HANDLERS
from crm.customer_uploads import IMPORT_JOB, run_import_job
from crm.models import metadata
from quintet_shared.component import ComponentDefinition

DEFINITION = ComponentDefinition(
    name="crm",
    title="Quintet CRM",
    port=8004,
    settings_class=Settings,
    metadata=metadata,
    migrations=Path(__file__).resolve().parents[2] / "migrations",
    app_factory="crm.main:create_app",
    routers=[router, dashboard_router],
    public_routers=[unsubscribe_router],
    event_handlers=EVENT_HANDLERS,
    jobs={IMPORT_JOB: run_import_job, RUN_JOB: run_campaign_job},
)
