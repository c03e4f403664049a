"""`crm`: the service's operator commands (serve, worker, migrate, and its own)."""

from crm.component import DEFINITION
from quintet_shared.cli import component_cli

app = component_cli(DEFINITION)
import crm.cli_customers  # noqa: E402, F401  (registers `crm customers import`)
