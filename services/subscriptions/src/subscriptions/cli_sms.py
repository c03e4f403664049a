"""`subscriptions sms run <client> [--date YYYY-MM-DD]`: an operator (or a test, or a catch-up after an
outage) runs a client's daily SMS of one local date now, in this process, with the use case the
worker's job runs (sms_run.py), waits until it is sent, and prints a summary. A second run of the
same date records and sends nothing new.

Exit codes: 0 every message of the run was accepted by a gateway, 1 some were not (each gateway
failed it `SUBSCRIPTIONS_SMS_MAX_ATTEMPTS` times in all: see `last_error`), 2 nothing was done (a
client subscriptions has not heard of, a date that cannot be read, a database error). Errors are one
line, never a traceback.
"""

from datetime import UTC, date, datetime
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from quintet_shared.clock import system_clock
from quintet_shared.component import database_url
from quintet_shared.db import make_engine
from quintet_shared.tenants import find_tenant
from subscriptions.cli import app
from subscriptions.client_settings import get_settings, local_date
from subscriptions.config import Settings
from subscriptions.sms_run import DayRun, run_day

sms = typer.Typer(help="The daily forecast SMS.", no_args_is_help=True)
app.add_typer(sms, name="sms")


@sms.command("run")
def run(
    client: Annotated[str, typer.Argument(help="The client's code, e.g. iska")],
    day: Annotated[
        str | None, typer.Option("--date", help="The client's local date, YYYY-MM-DD (default: its today)")
    ] = None,
) -> None:
    """Send the client's daily SMS of a local date now: each paid subscriber gets that date's one message."""
    console = Console(stderr=True)
    settings = Settings()
    engine = make_engine(database_url(settings))
    try:
        with Session(engine) as session:
            if find_tenant(session, client) is None:
                _fail(console, f"subscriptions knows no client {client!r} (clients come from the gateway's registry)")
            now = datetime.now(UTC)
            chosen = _date(console, day) if day else local_date(get_settings(session, client=client, now=now), now)
            session.commit()  # the client's settings, created with the defaults on first use
        result = run_day(engine, settings, client=client, day=chosen, clock=system_clock)
    except (OSError, SQLAlchemyError) as exc:
        _fail(console, f"the run stopped: {type(exc).__name__}: {exc}")
    finally:
        engine.dispose()
    Console().print(summary(client, result))
    raise typer.Exit(1 if result.delivery.failed else 0)


def summary(client: str, run: DayRun) -> Table:
    table = Table(title=f"{client}: daily SMS of {run.record.day.isoformat()}", show_header=False)
    table.add_row("messages recorded by this run", str(run.record.recorded))
    table.add_row("paid subscribers that had the date's message already", str(run.record.already))
    table.add_row("paid subscribers without a forecast point (no message)", str(run.record.without_forecast))
    table.add_row("accepted by a gateway", str(run.delivery.accepted))
    for gateway, count in sorted(run.delivery.by_gateway.items()):
        table.add_row(f"  by {gateway}", str(count))
    table.add_row("refused by every gateway tried", str(run.delivery.failed))
    for error in run.delivery.errors:
        table.add_row("  for example", error)
    table.add_row("seconds", f"{run.seconds:.1f}")
    return table


def _date(console: Console, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        _fail(console, f"--date must be YYYY-MM-DD, not {value!r}")


def _fail(console: Console, message: str) -> NoReturn:
    console.print(f"[red]error:[/red] {message}")
    raise typer.Exit(2)
