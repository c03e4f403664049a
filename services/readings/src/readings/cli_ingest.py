"""`readings ingest <client> <file> [--strict]`: an operator ingests one client file.

Exit codes: 0 every row is in (new or already stored), 1 some rows were rejected, 2 nothing landed
(file missing or unusable, unknown client, strict rejection). Errors are one line, never a traceback.
"""

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from quintet_shared.cli_progress import file_progress
from quintet_shared.component import database_url
from quintet_shared.db import make_engine, session_scope
from readings.cli import app
from readings.config import Settings
from readings.formats.base import FileUnusable
from readings.ingestion import FileStatus, IngestResult, ingest_file
from readings.ingestion.clients import UnknownClient, client_parser

EXIT_CODES = {FileStatus.INGESTED: 0, FileStatus.PARTIAL: 1, FileStatus.REJECTED: 2}
SHOWN_ERRORS = 20


@app.command("ingest")
def ingest(
    client: Annotated[str, typer.Argument(help="The client's code, e.g. carrots")],
    file: Annotated[Path, typer.Argument(help="The file to ingest")],
    strict: Annotated[bool, typer.Option("--strict", help="Reject the whole file on any bad row")] = False,
) -> None:
    """Ingest one client file: valid rows land, bad rows are reported with their line."""
    console = Console(stderr=True)
    if not file.is_file():
        _fail(console, f"no such file: {file}")
    try:
        result = _run(console, client, file, strict)
    except UnknownClient as exc:
        _fail(console, str(exc))
    except FileUnusable as exc:
        _fail(console, f"file unusable, nothing was stored: {exc}")
    except (OSError, SQLAlchemyError) as exc:
        _fail(console, f"ingestion failed, nothing was stored: {type(exc).__name__}: {exc}")
    Console().print(summary(result))
    raise typer.Exit(EXIT_CODES[result.status])


def _run(console: Console, client: str, file: Path, strict: bool) -> IngestResult:
    engine = make_engine(database_url(Settings()))
    size = file.stat().st_size
    try:
        with (
            file_progress(console, file.name, size) as progress,
            session_scope(engine) as session,
            file.open("rb") as stream,
        ):
            parser, timezone = client_parser(session, client)
            return ingest_file(
                session,
                client=client,
                name=file.name,
                stream=stream,
                parser=parser,
                timezone=timezone,
                strict=strict,
                size=size,
                progress=progress,
            )
    finally:
        engine.dispose()


def summary(result: IngestResult) -> Table:
    table = Table(title=f"{result.name}: {result.status.value}", show_header=False)
    table.add_row("supply points", str(result.supply_points))
    table.add_row("new readings", str(result.new_readings))
    table.add_row("duplicates (already stored)", str(result.duplicates))
    table.add_row("rejected rows", str(result.rejected))
    if result.earlier is not None:
        earlier = f"file #{result.earlier.file_id} on {result.earlier.created_at:%Y-%m-%d %H:%M} UTC"
        table.add_row("same file ingested before", earlier)
    if result.status is FileStatus.REJECTED:
        table.add_row("strict mode", "nothing was stored")
    for error in result.errors[:SHOWN_ERRORS]:
        table.add_row(f"line {error.line}", error.message)
    if result.rejected > SHOWN_ERRORS:
        table.add_row("…", f"{result.rejected - SHOWN_ERRORS} more errors")
    return table


def _fail(console: Console, message: str) -> None:
    console.print(f"[red]error:[/red] {message}")
    raise typer.Exit(2)
