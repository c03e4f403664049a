"""The distributed mode, started fresh for the e2e session and driven only through the gateway.

Fresh databases (a unique prefix) and a unique bus namespace, on ports away from the defaults so a
developer's own `make run` or `make up` is left alone; everything is stopped and dropped afterwards.
"""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from quintet_platform import distributed
from quintet_shared.settings import DEV_ADMIN_TOKEN

PORT_BASE = 18000


@dataclass
class Platform:
    plan: distributed.Plan
    gateway: httpx.Client
    admin_token: str = DEV_ADMIN_TOKEN


@pytest.fixture(scope="session")
def platform(postgres_admin_url: str, amqp_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    run = uuid.uuid4().hex[:8]
    plan = distributed.Plan(
        state_dir=Path(tmp_path_factory.mktemp("distributed")),
        port_base=PORT_BASE,
        postgres_url=postgres_admin_url,
        database_prefix=f"e2e_{run}",
        amqp_url=amqp_url,
        bus_namespace=f"e2e-{run}",
    )
    try:
        distributed.up(plan, timeout=120)
        with httpx.Client(base_url=f"http://127.0.0.1:{PORT_BASE}", timeout=30) as client:
            yield Platform(plan=plan, gateway=client)
        _assert_down_leaves_no_process_behind(plan)
    finally:
        distributed.down(plan.state_dir)
        _drop_databases(plan)


def _assert_down_leaves_no_process_behind(plan: distributed.Plan) -> None:
    """`quintet down` (what `make down` runs) must stop every process `up` started, children too."""
    pids = [int(f.read_text()) for f in (plan.state_dir / "pids").glob("*.pid")]
    assert len(pids) == len(distributed.processes(plan))
    family = pids + [child.pid for pid in pids for child in psutil.Process(pid).children(recursive=True)]
    distributed.down(plan.state_dir)
    survivors = [pid for pid in family if psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"]
    assert survivors == [], f"processes left behind after down: {survivors}"


def _drop_databases(plan: distributed.Plan) -> None:
    engine = create_engine(
        make_url(plan.postgres_url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    with engine.connect() as conn:
        names = conn.execute(
            text("SELECT datname FROM pg_database WHERE datname LIKE :p"), {"p": f"{plan.database_prefix}_%"}
        ).scalars()
        for name in list(names):
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()
