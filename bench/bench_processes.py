"""What the single-service benches (promotions_notify.py, crm.py) share: their processes, started and
stopped with the run, and a database and broker namespace of their own, dropped at the end.

Loaded by path (bench/ is not a package, and not on sys.path: see the scripts' headers).
"""

import subprocess
import time
from collections.abc import Iterable
from contextlib import ExitStack
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from quintet_shared.bus.rabbit import RabbitBus
from quintet_shared.migrations import upgrade
from quintet_shared.testing.bus_harness import BusUnderTest


def start(stack: ExitStack, command: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """`command` as a process writing to `log`, stopped (and its log's tail printed if it failed) when
    `stack` closes."""
    out = stack.enter_context(log.open("wb"))
    process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)

    def stop() -> None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        if process.returncode not in (0, -15):
            print(f"{command[0]} exited {process.returncode}; its log:\n{log.read_text()[-3000:]}")

    stack.callback(stop)
    return process


def wait_ready(url: str, process: subprocess.Popen[bytes], within: float = 60) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{process.args} exited {process.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"{url} not ready within {within} s")


def fresh_database(admin_url: str, name: str, migrations: Path) -> str:
    """A new database `name` on the server of `admin_url`, migrated; its URL."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    upgrade(migrations, url)
    return url


def drop_database(admin_url: str, name: str) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


async def drop_broker_entities(amqp_url: str, namespace: str, queues: Iterable[str]) -> None:
    bus = RabbitBus(amqp_url, namespace=namespace)
    await BusUnderTest(bus=bus, delivery_limit=5, amqp_url=amqp_url, queues=set(queues)).cleanup()
