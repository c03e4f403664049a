"""`gateway`: serve, migrate, and manage clients from the command line.

Client commands work on the database directly; a running gateway sees their effect within
GATEWAY_CLIENT_CACHE_SECONDS (the admin API's own process sees its changes at once).
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from sqlmodel import Session

from gateway import registry
from gateway.component import DEFINITION
from gateway.config import Settings
from gateway.models import ClientCreate
from quintet_shared.cli import component_cli
from quintet_shared.clock import system_clock
from quintet_shared.db import make_engine, session_scope
from quintet_shared.errors import Problem

# serve, worker (the outbox relay of the client events) and migrate, as every component has them.
app = component_cli(DEFINITION)
clients = typer.Typer(help="Clients (tenants) and their app ids.", no_args_is_help=True)
app.add_typer(clients, name="clients")
console = Console()
T = TypeVar("T")


@contextmanager
def _unit_of_work(settings: Settings) -> Iterator[Session]:
    engine = make_engine(settings.database_url)
    try:
        with session_scope(engine) as session:
            yield session
    finally:
        engine.dispose()


def _run(settings: Settings, use_case: Callable[[Session], T]) -> T:
    """Run one use case in its own transaction; a refusal is printed, not raised."""
    try:
        with _unit_of_work(settings) as session:
            return use_case(session)
    except Problem as exc:
        console.print(f"[red]{exc.detail}[/red]")
        raise typer.Exit(1) from None


@clients.command("add")
def add_client(
    code: str,
    name: Annotated[str, typer.Option(help="Display name")],
    services: Annotated[str, typer.Option(help="Comma-separated, e.g. readings,crm")],
    rate_limit: Annotated[int, typer.Option(help="Requests per minute, per gateway replica")] = 600,
) -> None:
    """Register a client and print its app id (shown this once)."""
    settings = Settings()
    try:
        data = ClientCreate(
            code=code,
            name=name,
            services=[s.strip() for s in services.split(",") if s.strip()],
            rate_limit_per_minute=rate_limit,
        )
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    client, app_id = _run(
        settings,
        lambda session: registry.register(
            session, data=data, known_services=settings.upstreams, default_rate_limit=rate_limit, now=system_clock()
        ),
    )
    console.print(f"Registered [bold]{client.code}[/bold] for {', '.join(client.services)}.")
    console.print(f"App id (shown once, keep it secret): [bold]{app_id}[/bold]")


@clients.command("list")
def list_clients() -> None:
    """All clients, by code."""
    table = Table("code", "name", "services", "rate/min", "active", "updated")

    def rows(session: Session) -> list[tuple[str, ...]]:
        found: list[tuple[str, ...]] = []
        page = 1
        while True:
            count, batch = registry.list_clients(session, page=page, page_size=500)
            found += [
                (
                    c.code,
                    c.name,
                    ",".join(c.services),
                    str(c.rate_limit_per_minute),
                    "yes" if c.active else "no",
                    c.updated_at.isoformat(timespec="seconds"),
                )
                for c in batch
            ]
            if len(found) >= count or not batch:
                return found
            page += 1

    for row in _run(Settings(), rows):
        table.add_row(*row)
    console.print(table)


@clients.command("rotate")
def rotate(code: str) -> None:
    """Issue a new app id; the old one stops working."""
    _client, app_id = _run(Settings(), lambda session: registry.rotate_app_id(session, code=code, now=system_clock()))
    console.print(f"New app id for [bold]{code}[/bold] (shown once): [bold]{app_id}[/bold]")


@clients.command("disable")
def disable(code: str) -> None:
    """Refuse the client's app id from now on (the registration is kept)."""
    _run(Settings(), lambda session: registry.disable_client(session, code=code, now=system_clock()))
    console.print(f"Disabled [bold]{code}[/bold].")
