"""`readings`: the service's operator commands (serve, worker, migrate, and its own)."""

from quintet_shared.cli import component_cli
from readings.component import DEFINITION

app = component_cli(DEFINITION)
import readings.cli_ingest  # noqa: E402, F401  (registers `readings ingest`)
from readings import cli_formats  # noqa: E402, F401  (registers `readings formats` and `readings clients`)
