from gateway.config import Settings
from gateway.models import GatewayModel
from quintet_shared.migrations import run_env

run_env(GatewayModel.metadata, default_url=lambda: Settings().database_url)
