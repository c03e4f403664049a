"""`marketplace orders sync <client>`: an operator syncs a client's orders from the marketplace now,
every store with an API token, and sees a summary (order_sync.py does the work).

Exit codes: 0 every store synced, 1 some store failed (the others synced), 2 nothing to do or the
client is unknown. Errors are one line per store, never a traceback.
"""

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlmodel import Session

from marketplace.cli import app
from marketplace.config import Settings
from marketplace.order_sync import stores_to_sync, sync_store
from marketplace.orders_api import OrdersApi, OrdersApiError
from marketplace.token_crypto import TokenUnreadable
from quintet_shared.clock import system_clock
from quintet_shared.db import make_engine
from quintet_shared.tenants import find_tenant

orders = typer.Typer(help="A client's orders.", no_args_is_help=True)
app.add_typer(orders, name="orders")


@orders.command("sync")
def sync(client: Annotated[str, typer.Argument(help="The client's code, e.g. demo")]) -> None:
    """Sync the client's orders from the marketplace now (each store with an API token); prints a summary."""
    settings = Settings()
    console = Console()
    engine = make_engine(settings.database_url)
    try:
        with Session(engine) as session:
            known = find_tenant(session, client)
        if known is None:
            console.print(f"marketplace knows no client {client!r} (clients come from the gateway's registry)")
            raise typer.Exit(2)
        store_ids = stores_to_sync(engine, client=client)
        if not store_ids:
            console.print(f"{client} has no store with a marketplace API token: nothing to sync")
            raise typer.Exit(2)
        api = OrdersApi(settings.orders_url, timeout=settings.orders_timeout_seconds, attempts=settings.orders_attempts)
        table = Table("store", "pages", "orders listed", "new orders", "synced until")
        failed = 0
        try:
            for store_id in store_ids:
                try:
                    result = sync_store(engine, store_id=store_id, settings=settings, api=api, clock=system_clock)
                except (OrdersApiError, TokenUnreadable) as exc:
                    failed += 1
                    table.add_row(str(store_id), "-", "-", "-", f"failed: {exc}")
                    continue
                table.add_row(
                    str(store_id),
                    str(result.pages),
                    str(result.seen),
                    str(result.recorded),
                    result.synced_until.isoformat(),
                )
        finally:
            api.close()
        console.print(table)
        raise typer.Exit(1 if failed else 0)
    finally:
        engine.dispose()
