"""`quintet`: start the whole platform in one process (`run`) or as separate processes (`up`/`down`)."""

import asyncio
from pathlib import Path

import typer

from quintet_platform import distributed
from quintet_platform.embedded import serve_embedded

app = typer.Typer(help="Run the Quintet platform.", no_args_is_help=True)


@app.command()
def run(host: str = "127.0.0.1", port: int = 8000) -> None:
    """Embedded mode: one process, SQLite under ./var, in-process bus and sandbox."""
    asyncio.run(serve_embedded(host=host, port=port))


@app.command()
def up(
    state_dir: Path = Path("var/distributed"),
    port_base: int = 8000,
    postgres_url: str = distributed.DEFAULT_POSTGRES_URL,
    database_prefix: str = "quintet",
    amqp_url: str = distributed.DEFAULT_AMQP_URL,
    bus_namespace: str = "",
    timeout: float = 90.0,
) -> None:
    """Distributed mode: every API, worker, the gateway and the sandbox as processes, on PostgreSQL
    (a database per component, created and migrated if missing) and RabbitMQ."""
    plan = distributed.Plan(
        state_dir=state_dir,
        port_base=port_base,
        postgres_url=postgres_url,
        database_prefix=database_prefix,
        amqp_url=amqp_url,
        bus_namespace=bus_namespace,
    )
    try:
        distributed.up(plan, timeout=timeout)
    except distributed.StartFailed as exc:
        typer.echo(f"quintet up failed: {exc}", err=True)
        distributed.down(state_dir)
        raise typer.Exit(1) from None
    typer.echo(f"Quintet is up: gateway on http://127.0.0.1:{port_base} (logs in {state_dir / 'log'})")


@app.command()
def down(state_dir: Path = Path("var/distributed")) -> None:
    """Stop every process `quintet up` started."""
    stopped = distributed.down(state_dir)
    typer.echo(f"stopped {stopped} processes")
