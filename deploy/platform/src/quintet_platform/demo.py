"""Demo clients of embedded mode: created on first start, their app ids printed at every start, and
their data seeded in the services that own it.

App ids are stored hashed, so the gateway cannot show them again; for the developer's convenience
embedded mode keeps them in `var/demo-clients.json` (dev data, readable by its owner only) and
issues a new one if that file and the registry disagree.

A demo client's data belongs to the service that owns it: the service's own `demo` module holds the
dataset and seeds it through its use cases, in its database; the platform only calls it at every
start (a seeding adds only what is missing, and fresh promos when none runs any more).
"""

import json
import logging
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy.engine import Engine

from gateway import registry
from gateway.config import Settings as GatewaySettings
from gateway.models import Client, ClientCreate
from promotions import demo as promotions_demo
from quintet_platform.components import SERVICES
from quintet_shared.clock import system_clock
from quintet_shared.db import session_scope
from quintet_shared.errors import Problem

log = logging.getLogger(__name__)

PROMOS_CLIENT = "promos"  # the Flash Promos demo: promotions' stores, products, users and running promos
DEMO_CLIENTS: list[tuple[str, str, list[str]]] = [
    ("demo", "Demo client (every service)", list(SERVICES)),
    ("potatoes", "Potatoes energy supplier", ["readings"]),
    ("carrots", "Carrots energy supplier", ["readings"]),
    (PROMOS_CLIENT, "Flash Promos marketplace", ["promotions"]),
]
DEMO_FILE = Path("var/demo-clients.json")


def ensure_demo_clients(engine: Engine, settings: GatewaySettings, file: Path = DEMO_FILE) -> dict[str, str]:
    remembered: dict[str, str] = json.loads(file.read_text()) if file.exists() else {}
    app_ids: dict[str, str] = {}
    now = system_clock()
    with session_scope(engine) as session:
        for code, name, services in DEMO_CLIENTS:
            client = session.get(Client, code)
            if client is None:
                data = ClientCreate(code=code, name=name, services=services)
                _, app_ids[code] = registry.register(
                    session,
                    data=data,
                    known_services=SERVICES,
                    default_rate_limit=settings.default_rate_limit_per_minute,
                    now=now,
                )
            elif code in remembered and registry.hash_app_id(remembered[code]) == client.app_id_hash:
                app_ids[code] = remembered[code]
            else:
                _, app_ids[code] = registry.rotate_app_id(session, code=code, now=now)
    file.parent.mkdir(parents=True, exist_ok=True)
    file.touch(mode=0o600, exist_ok=True)
    file.write_text(json.dumps(app_ids, indent=2))
    return app_ids


def seed_demo_data(engines: Mapping[str, Engine], *, now: datetime | None = None) -> promotions_demo.Seeded | None:
    """The demo clients' data, each service's in its own database (`engines`: service → engine):
    what was added, or None when the demo's rows were edited so that the dataset no longer fits
    (logged; the platform starts anyway)."""
    now = now or system_clock()
    try:
        with session_scope(engines["promotions"]) as session:
            added = promotions_demo.seed(session, client=PROMOS_CLIENT, now=now)
    except Problem as exc:
        log.warning("the %s demo data was not seeded: %s", PROMOS_CLIENT, exc)
        return None
    if added.promos:
        until = now + promotions_demo.RUNS_FOR
        log.info(
            "the %s demo client has %d new promos, running until %s UTC", PROMOS_CLIENT, added.promos, f"{until:%H:%M}"
        )
    return added


def print_demo_clients(app_ids: dict[str, str], *, host: str, port: int) -> None:
    table = Table(title=f"Quintet is running on http://{host}:{port}  (docs: /docs, health: /health)")
    table.add_column("client")
    table.add_column("services")
    table.add_column("X-App-Id", no_wrap=True, overflow="fold")
    services = {code: ", ".join(granted) for code, _name, granted in DEMO_CLIENTS}
    for code, app_id in app_ids.items():
        table.add_row(code, services[code], app_id)
    console = Console(width=max(120, Console().width))
    console.print(table)
    console.print(f"Try: curl -H 'X-App-Id: {app_ids['demo']}' http://{host}:{port}/readings/tenant")
    if PROMOS_CLIENT in app_ids:
        header = f"curl -H 'X-App-Id: {app_ids[PROMOS_CLIENT]}'"
        base = f"http://{host}:{port}/promotions/promos"
        console.print(f"     {header} {base}/running", soft_wrap=True)
        console.print(f"     {header} '{base}/eligible?user=alice'", soft_wrap=True)
    dashboard = f"http://{host}:{port}/login?next=/crm/dashboard"
    console.print(f"In a browser: {dashboard} (sign in with the demo app id)", soft_wrap=True)
