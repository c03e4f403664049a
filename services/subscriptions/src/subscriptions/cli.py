"""`subscriptions`: the service's operator commands (serve, worker, migrate, and its own)."""

from quintet_shared.cli import component_cli
from subscriptions.component import DEFINITION

app = component_cli(DEFINITION)
import subscriptions.cli_billing  # noqa: E402  (registers `subscriptions billing run`)
import subscriptions.cli_import  # noqa: E402, F401  (registers `subscriptions import`)
