"""Operator commands for client file formats: `readings formats`, `readings clients set|list`.

Registered on the service's Typer app by importing this module (see cli.py).
"""

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.table import Table
from sqlmodel import Session

from quintet_shared.clock import system_clock
from quintet_shared.db import make_engine, session_scope
from quintet_shared.errors import Problem
from readings import client_formats
from readings.cli import app
from readings.client_formats import ClientFormatSetting
from readings.config import Settings
from readings.formats import registry

clients = typer.Typer(help="Which file format and time zone each client's readings files use.", no_args_is_help=True)
app.add_typer(clients, name="clients")
console = Console()


@app.command("formats")
def list_formats() -> None:
    """List the file formats this service can read."""
    table = Table("name", "description", title="Reading file formats")
    for parser in registry.parsers():
        table.add_row(parser.name, parser.description)
    console.print(table)


@clients.command("set")
def set_client(
    code: str = typer.Argument(..., help="The client's code, as registered at the gateway"),
    format: str = typer.Option(..., "--format", help="A format name (see `readings formats`)"),
    timezone: str = typer.Option(..., "--timezone", help="The IANA time zone of the client's local times"),
) -> None:
    """Set the file format and time zone of a client's readings files."""
    with _unit_of_work() as session:
        setting = client_formats.set_client_format(
            session, client=code, format=format, timezone=timezone, now=system_clock()
        )
    console.print(_table([setting], title="Client format set"))


@clients.command("list")
def list_clients() -> None:
    """List every client's file format and time zone (built-in defaults included)."""
    with _unit_of_work() as session:
        settings = client_formats.list_client_formats(session)
    console.print(_table(settings, title="Client formats"))


@contextmanager
def _unit_of_work() -> Iterator[Session]:
    """A session on the service's database; a refused input exits with code 2 and its reason."""
    engine = make_engine(Settings().database_url)
    try:
        with session_scope(engine) as session:
            yield session
    except Problem as problem:
        typer.echo(f"Error: {problem.detail}", err=True)
        raise typer.Exit(2) from None
    finally:
        engine.dispose()


def _table(settings: list[ClientFormatSetting], *, title: str) -> Table:
    table = Table("client", "format", "time zone", "set at", title=title)
    for setting in settings:
        set_at = setting.updated_at.isoformat(timespec="seconds") if setting.updated_at else "built-in default"
        table.add_row(setting.client, setting.format, setting.timezone, set_at)
    return table
