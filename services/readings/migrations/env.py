from quintet_shared.migrations import run_env
from readings.config import Settings
from readings.models import metadata

run_env(metadata, default_url=lambda: Settings().database_url)
