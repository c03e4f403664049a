"""`promotions`: the service's operator commands (serve, worker, migrate, and its own)."""

from promotions.component import DEFINITION
from quintet_shared.cli import component_cli

app = component_cli(DEFINITION)
import promotions.cli_profiles  # noqa: E402, F401  (registers `promotions profiles import`)
