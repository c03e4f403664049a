"""`subscriptions billing run <client> [--date YYYY-MM-DD]`: charge, now, what is due for a client on
a local date (today in its time zone by default), with the use case the worker's billing job runs
(billing_run.py); waits until every call has its answer and prints a summary. For an operator after
an outage (run the missed dates in order), or a test.

Exit codes: 0 every charge tried has a definite answer, 1 some have none (the provider did not
answer: they stay pending and are sent again with their keys later), 2 nothing was run (a client
subscriptions has not heard of, a database error). Errors are one line, never a traceback.
"""

import asyncio
from datetime import datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from quintet_shared.clock import system_clock
from quintet_shared.component import database_url
from quintet_shared.db import make_engine
from quintet_shared.tenants import find_tenant
from subscriptions.billing_run import BillingSummary, run_billing
from subscriptions.cli import app
from subscriptions.config import Settings

billing = typer.Typer(help="Charging subscriptions through the billing provider.", no_args_is_help=True)
app.add_typer(billing, name="billing")


@billing.command("run")
def run(
    client: Annotated[str, typer.Argument(help="The client's code, e.g. iska")],
    on: Annotated[
        datetime | None,
        typer.Option("--date", formats=["%Y-%m-%d"], help="The client's local date (default: its today)"),
    ] = None,
) -> None:
    """Charge what is due on a local date now: renewals, retries whose backoff has passed, pending calls."""
    console = Console(stderr=True)
    settings = Settings()
    engine = make_engine(database_url(settings))
    try:
        with Session(engine) as session:
            known = find_tenant(session, client)
        if known is None:
            _fail(console, f"subscriptions knows no client {client!r} (clients come from the gateway's registry)")
        day = on.date() if on else None
        summary = asyncio.run(run_billing(engine, settings, client=client, clock=system_clock, day=day))
    except SQLAlchemyError as exc:
        _fail(console, f"billing run failed: {type(exc).__name__}: {exc}")
    finally:
        engine.dispose()
    Console().print(summary_table(client, summary))
    raise typer.Exit(1 if summary.recorded.unanswered else 0)


LABELS = {
    "attempted": "charges tried",
    "resent": "of which pending ones sent again with their key",
    "charged": "charged",
    "declined": "declined (tried again after a backoff)",
    "cancelled": "cancelled (declined for the last time)",
    "unanswered": "no answer from the provider (pending)",
    "lapsed": "billing dates moved past periods that ended unpaid",
    "waiting": "due, but their next try is later",
}


def summary_table(client: str, summary: BillingSummary) -> Table:
    table = Table(title=f"billing of {client} for {summary.day.isoformat()}", show_header=False)
    result = summary.as_result()
    for name, label in LABELS.items():
        table.add_row(label, str(result[name]))
    for error in summary.errors:
        table.add_row("no answer because", error)
    return table


def _fail(console: Console, message: str) -> None:
    console.print(f"[red]error:[/red] {message}")
    raise typer.Exit(2)
