from quintet_shared.migrations import run_env
from subscriptions.config import Settings
from subscriptions.models import metadata

run_env(metadata, default_url=lambda: Settings().database_url)
