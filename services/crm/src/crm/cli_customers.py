"""`crm customers import <client> <file.csv>`: an operator imports a customers CSV straight into the
service's database, with the use case the upload's job runs (customer_import.py).

Exit codes: 0 every row is in, 1 some rows were rejected (the others are in), 2 nothing changed (file
missing or unusable, a client crm has not heard of, a database error). Errors are one line, never a
traceback.
"""

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from crm.cli import app
from crm.config import Settings
from crm.customer_import import ImportResult, ImportStatus, import_customers
from quintet_shared.bulk import FileUnusable
from quintet_shared.cli_progress import file_progress
from quintet_shared.component import database_url
from quintet_shared.db import make_engine, session_scope
from quintet_shared.tenants import find_tenant

customers = typer.Typer(help="A client's restaurant customers.", no_args_is_help=True)
app.add_typer(customers, name="customers")

EXIT_CODES = {ImportStatus.IMPORTED: 0, ImportStatus.PARTIAL: 1}
SHOWN_ERRORS = 20


@customers.command("import")
def import_file(
    client: Annotated[str, typer.Argument(help="The client's code, e.g. bistro")],
    file: Annotated[Path, typer.Argument(help="The CSV: restaurant,email,first_name,last_name")],
) -> None:
    """Import a customers CSV: each row creates or updates (by email) a restaurant's customer; bad rows
    are reported with their line."""
    console = Console(stderr=True)
    if not file.is_file():
        _fail(console, f"no such file: {file}")
    engine = make_engine(database_url(Settings()))
    try:
        with Session(engine) as session:
            known = find_tenant(session, client)
        if known is None:
            _fail(console, f"crm knows no client {client!r} (clients come from the gateway's registry)")
        size = file.stat().st_size
        with (
            file_progress(console, file.name, size) as progress,
            session_scope(engine) as session,
            file.open("rb") as stream,
        ):
            result = import_customers(
                session, client=client, stream=stream, now=datetime.now(UTC), size=size, progress=progress
            )
    except FileUnusable as exc:
        _fail(console, f"file unusable, nothing was changed: {exc}")
    except (OSError, SQLAlchemyError) as exc:
        _fail(console, f"import failed, nothing was changed: {type(exc).__name__}: {exc}")
    finally:
        engine.dispose()
    Console().print(summary(file.name, result))
    raise typer.Exit(EXIT_CODES[result.status])


def summary(name: str, result: ImportResult) -> Table:
    table = Table(title=f"{name}: {result.status.value}", show_header=False)
    table.add_row("rows", str(result.rows))
    table.add_row("customers created", str(result.created))
    table.add_row("customers updated", str(result.updated))
    table.add_row("rows replaced by a later row of the same email", str(result.repeated))
    table.add_row("rejected rows", str(result.rejected))
    for error in result.errors[:SHOWN_ERRORS]:
        table.add_row(f"line {error.line}", error.message)
    if result.rejected > SHOWN_ERRORS:
        table.add_row("…", f"{result.rejected - SHOWN_ERRORS} more errors")
    return table


def _fail(console: Console, message: str) -> NoReturn:
    console.print(f"[red]error:[/red] {message}")
    raise typer.Exit(2)
