"""`promotions profiles import <client> <file.csv> [--strict]`: an operator imports a profiles CSV
straight into the service's database, with the use case the upload's job runs (profile_import.py).

Exit codes: 0 every row is in, 1 some rows were rejected (the others are in), 2 nothing changed (file
missing or unusable, a client promotions has not heard of, a strict rejection, a database error).
Errors are one line, never a traceback.
"""

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from promotions.cli import app
from promotions.config import Settings
from promotions.profile_import import ImportResult, ImportStatus, import_profiles
from quintet_shared.bulk import FileUnusable
from quintet_shared.cli_progress import file_progress
from quintet_shared.component import database_url
from quintet_shared.db import make_engine, session_scope
from quintet_shared.tenants import find_tenant

profiles = typer.Typer(help="A client's end-user profiles.", no_args_is_help=True)
app.add_typer(profiles, name="profiles")

EXIT_CODES = {ImportStatus.IMPORTED: 0, ImportStatus.PARTIAL: 1, ImportStatus.REJECTED: 2}
SHOWN_ERRORS = 20


@profiles.command("import")
def import_file(
    client: Annotated[str, typer.Argument(help="The client's code, e.g. promos")],
    file: Annotated[Path, typer.Argument(help="The CSV: user,email,latitude,longitude,segments")],
    strict: Annotated[bool, typer.Option("--strict", help="Reject the whole file on any bad row")] = False,
) -> None:
    """Import a profiles CSV: each row creates or replaces a profile; bad rows are reported with their line."""
    console = Console(stderr=True)
    if not file.is_file():
        _fail(console, f"no such file: {file}")
    engine = make_engine(database_url(Settings()))
    try:
        with Session(engine) as session:
            known = find_tenant(session, client)
        if known is None:
            _fail(console, f"promotions knows no client {client!r} (clients come from the gateway's registry)")
        size = file.stat().st_size
        with (
            file_progress(console, file.name, size) as progress,
            session_scope(engine) as session,
            file.open("rb") as stream,
        ):
            result = import_profiles(
                session,
                client=client,
                stream=stream,
                now=datetime.now(UTC),
                strict=strict,
                size=size,
                progress=progress,
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
    table.add_row("profiles created", str(result.created))
    table.add_row("profiles replaced", str(result.replaced))
    table.add_row("rows replaced by a later row of the same user", str(result.repeated))
    table.add_row("rejected rows", str(result.rejected))
    if result.status is ImportStatus.REJECTED:
        table.add_row("strict mode", "nothing was changed")
    for error in result.errors[:SHOWN_ERRORS]:
        table.add_row(f"line {error.line}", error.message)
    if result.rejected > SHOWN_ERRORS:
        table.add_row("…", f"{result.rejected - SHOWN_ERRORS} more errors")
    return table


def _fail(console: Console, message: str) -> None:
    console.print(f"[red]error:[/red] {message}")
    raise typer.Exit(2)
