"""`marketplace monitor run <client>`: one monitoring round now, straight against the database and
the marketplace, waiting for it and printing its summary (the round a job would run).

Exit codes: 0 the round ran (whatever it changed), 1 some products' offers could not be fetched,
2 nothing ran (a client marketplace has not heard of, a database error).
"""

import asyncio
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from marketplace.cli import app
from marketplace.config import Settings
from marketplace.monitoring import run_round
from quintet_shared.clock import system_clock
from quintet_shared.component import database_url
from quintet_shared.db import make_engine
from quintet_shared.tenants import find_tenant

monitor = typer.Typer(help="Competitor monitoring and repricing.", no_args_is_help=True)
app.add_typer(monitor, name="monitor")


@monitor.command("run")
def run(client: Annotated[str, typer.Argument(help="The client's code")]) -> None:
    """Run one monitoring round of the client now, wait for it, and print its summary."""
    console = Console(stderr=True)
    settings = Settings()
    engine = make_engine(database_url(settings))
    try:
        with Session(engine) as session:
            known = find_tenant(session, client)
        if known is None:
            console.print(f"marketplace knows no client {client!r} (clients come from the gateway's registry)")
            raise typer.Exit(2)
        with Progress(
            "{task.description}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
        ) as bar:
            task = bar.add_task("products", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            summary = asyncio.run(run_round(engine, settings, client=client, clock=system_clock, progress=progress))
    except SQLAlchemyError as exc:
        console.print(f"database error: {type(exc).__name__}")
        raise typer.Exit(2) from exc
    finally:
        engine.dispose()
    for line in summary.lines():
        typer.echo(line)
    raise typer.Exit(1 if summary.counts.failed else 0)
