"""`marketplace`: the service's operator commands (serve, worker, migrate, and its own)."""

from marketplace.component import DEFINITION
from quintet_shared.cli import component_cli

app = component_cli(DEFINITION)
import marketplace.cli_landing  # noqa: E402  (registers `marketplace landing load`)
import marketplace.cli_monitor  # noqa: E402  (registers `marketplace monitor run`)
import marketplace.cli_orders  # noqa: E402, F401  (registers `marketplace orders sync`)
