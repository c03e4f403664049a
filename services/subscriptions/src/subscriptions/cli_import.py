"""`subscriptions import <client> <kind> <file.csv>`: an operator imports a forecasts or subscribers
CSV straight into the service's database, with the use case the upload's job runs (csv_import.py).

Exit codes: 0 every row is in, 1 some rows were rejected (the others are in), 2 nothing changed (file
missing or unusable, a client subscriptions has not heard of, a database error before anything
landed). Errors are one line, never a traceback.
"""

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from quintet_shared.bulk import FileUnusable
from quintet_shared.cli_progress import file_progress
from quintet_shared.component import database_url
from quintet_shared.db import make_engine
from quintet_shared.tenants import find_tenant
from subscriptions.cli import app
from subscriptions.config import Settings
from subscriptions.csv_format import COLUMNS, Kind
from subscriptions.csv_import import ImportResult, import_csv

SHOWN_ERRORS = 20
KINDS = "; ".join(f"{kind.value}: {','.join(COLUMNS[kind])}" for kind in Kind)


@app.command("import")
def import_file(
    client: Annotated[str, typer.Argument(help="The client's code, e.g. iska")],
    kind: Annotated[Kind, typer.Argument(help="What the file holds", case_sensitive=False)],
    file: Annotated[Path, typer.Argument(help=f"The CSV, with a header ({KINDS})")],
) -> None:
    """Import a forecasts, additions, cancellations or updates CSV; bad rows are reported with their line."""
    console = Console(stderr=True)
    if not file.is_file():
        _fail(console, f"no such file: {file}")
    engine = make_engine(database_url(Settings()))
    try:
        with Session(engine) as session:
            known = find_tenant(session, client)
        if known is None:
            _fail(console, f"subscriptions knows no client {client!r} (clients come from the gateway's registry)")
        size = file.stat().st_size
        # Twice the size: reading the file, then landing it (csv_import.py's progress).
        with file_progress(console, file.name, 2 * size) as progress, file.open("rb") as stream:
            result = import_csv(
                engine, client=client, kind=kind, stream=stream, now=datetime.now(UTC), size=size, progress=progress
            )
    except FileUnusable as exc:
        _fail(console, f"file unusable, nothing was changed: {exc}")
    except (OSError, SQLAlchemyError) as exc:
        _fail(console, f"import failed: {type(exc).__name__}: {exc} (importing the file again finishes it)")
    finally:
        engine.dispose()
    Console().print(summary(file.name, result))
    raise typer.Exit(1 if result.rejected else 0)


def summary(name: str, result: ImportResult) -> Table:
    table = Table(title=f"{name} ({result.kind.value}): {result.status}", show_header=False)
    table.add_row("rows", str(result.rows))
    for label, count in result.changes.items():
        table.add_row(label.replace("_", " "), str(count))
    table.add_row("rows replaced by a later row of the same gid or msisdn", str(result.repeated))
    table.add_row("rejected rows", str(result.rejected))
    for error in result.errors[:SHOWN_ERRORS]:
        table.add_row(f"line {error.line}", error.message)
    if result.rejected > SHOWN_ERRORS:
        table.add_row("…", f"{result.rejected - SHOWN_ERRORS} more errors")
    return table


def _fail(console: Console, message: str) -> None:
    console.print(f"[red]error:[/red] {message}")
    raise typer.Exit(2)
