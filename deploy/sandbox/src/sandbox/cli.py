"""Operator commands: `sandbox serve`."""

import typer
import uvicorn

from quintet_shared.http_server import server_options
from quintet_shared.logs import configure_logging
from sandbox.config import Settings
from sandbox.main import create_app

app = typer.Typer(help="Quintet sandbox: stand-ins for the outside world.", no_args_is_help=True)


@app.callback()
def _main() -> None:
    # A callback keeps `serve` a named subcommand, like every other component's CLI.
    pass


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on (0.0.0.0 in a container)."),
    port: int | None = typer.Option(None, help="HTTP port [default: SANDBOX_PORT or 8009]."),
) -> None:
    """Serve the sandbox's HTTP API, and its SMTP sink on SANDBOX_SMTP_PORT."""
    # The SMTP sink listens on the same interface as the HTTP API (0.0.0.0 in a container).
    settings = Settings(smtp_host=host)
    configure_logging("sandbox", level=settings.log_level, fmt=settings.log_format)
    port = settings.port if port is None else port
    uvicorn.run(create_app(settings), host=host, port=port, log_config=None, **server_options(settings))
