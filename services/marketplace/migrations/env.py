from marketplace.config import Settings
from marketplace.models import metadata
from quintet_shared.migrations import run_env

run_env(metadata, default_url=lambda: Settings().database_url)
