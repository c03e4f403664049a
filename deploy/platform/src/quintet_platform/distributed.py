"""Distributed mode: a process per API and worker, the gateway and the sandbox, on PostgreSQL and RabbitMQ.

`up` creates each component's database if missing, migrates it, starts every process in its own
process group (pid files and logs under the state directory) and waits until the gateway reports
every service ready. `down` stops those process groups, so nothing is left behind.
"""

import os
import signal
import subprocess
import sys
import time
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from quintet_platform.components import (
    GATEWAY,
    SANDBOX,
    SANDBOX_PORT_OFFSET,
    SERVICES,
    all_definitions,
    gateway_url_settings,
    sandbox_provider_urls,
    sandbox_smtp_settings,
)

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"
WORKER_HEALTH_OFFSET = 100


class StartFailed(RuntimeError):
    pass


@dataclass(frozen=True)
class Plan:
    state_dir: Path
    port_base: int = 8000
    postgres_url: str = DEFAULT_POSTGRES_URL
    database_prefix: str = "quintet"
    amqp_url: str = DEFAULT_AMQP_URL
    bus_namespace: str = ""

    def port(self, component: str) -> int:
        if component == GATEWAY:
            return self.port_base
        if component == SANDBOX:
            return self.port_base + SANDBOX_PORT_OFFSET
        return self.port_base + 1 + SERVICES.index(component)

    def database_url(self, component: str) -> str:
        url = make_url(self.postgres_url).set(drivername="postgresql+psycopg")
        return url.set(database=f"{self.database_prefix}_{component}").render_as_string(hide_password=False)

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(AMQP_URL=self.amqp_url, BUS_NAMESPACE=self.bus_namespace, LOG_FORMAT="json")
        for component in (*SERVICES, GATEWAY):
            env[f"{component.upper()}_DATABASE_URL"] = self.database_url(component)
        env["GATEWAY_UPSTREAMS"] = ",".join(f"{s}=http://127.0.0.1:{self.port(s)}" for s in SERVICES)
        env.update(sandbox_provider_urls(self.port(SANDBOX), env))
        env.update(gateway_url_settings(self.port(GATEWAY), env))
        env.update(sandbox_smtp_settings(self.port_base, env))
        return env


def command(name: str) -> str:
    """A console script installed beside this interpreter."""
    return str(Path(sys.executable).with_name(name))


def ensure_databases(plan: Plan) -> None:
    admin = create_engine(
        make_url(plan.postgres_url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        existing = set(conn.execute(text("SELECT datname FROM pg_database")).scalars())
        for component in (*SERVICES, GATEWAY):
            name = make_url(plan.database_url(component)).database
            if name not in existing:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def processes(plan: Plan) -> dict[str, list[str]]:
    """Every process of the platform: name → argv."""
    procs: dict[str, list[str]] = {}
    for component in (*SERVICES, GATEWAY):
        port = plan.port(component)
        procs[f"{component}-api"] = [command(component), "serve", "--port", str(port)]
        procs[f"{component}-worker"] = [command(component), "worker", "--health-port", str(port + WORKER_HEALTH_OFFSET)]
    procs["sandbox"] = [command(SANDBOX), "serve", "--port", str(plan.port(SANDBOX))]
    return procs


def migrate(plan: Plan, env: dict[str, str]) -> None:
    for definition in all_definitions():
        result = subprocess.run(
            [command(definition.name), "migrate"], env=env, capture_output=True, text=True, timeout=120, check=False
        )
        if result.returncode != 0:
            raise StartFailed(f"{definition.name} migrate failed:\n{result.stderr[-2000:]}")


def up(plan: Plan, *, timeout: float = 90.0) -> None:
    env = plan.environment()
    pid_dir, log_dir = plan.state_dir / "pids", plan.state_dir / "log"
    pid_dir.mkdir(parents=True, exist_ok=True)
    log_dir.mkdir(parents=True, exist_ok=True)
    if any(pid_dir.glob("*.pid")):
        raise StartFailed(f"already running (pid files in {pid_dir}); run `quintet down` first")
    ensure_databases(plan)
    migrate(plan, env)
    for name, argv in processes(plan).items():
        with (log_dir / f"{name}.log").open("ab") as log:
            proc = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        (pid_dir / f"{name}.pid").write_text(str(proc.pid))
    wait_until_ready(plan, timeout=timeout)


def health_urls(plan: Plan) -> list[str]:
    urls = [f"http://127.0.0.1:{plan.port(GATEWAY)}/health", f"http://127.0.0.1:{plan.port(SANDBOX)}/health/ready"]
    urls += [f"http://127.0.0.1:{plan.port(c) + WORKER_HEALTH_OFFSET}/health/ready" for c in (*SERVICES, GATEWAY)]
    return urls


def wait_until_ready(plan: Plan, *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    pending = health_urls(plan)
    with httpx.Client(timeout=2.0) as client:
        while pending and time.monotonic() < deadline:
            pending = [url for url in pending if not _answers_ok(client, url)]
            if pending:
                _fail_if_a_process_died(plan)
                time.sleep(0.5)
    if pending:
        raise StartFailed(f"not ready after {timeout:.0f} s: {', '.join(pending)}")


def _answers_ok(client: httpx.Client, url: str) -> bool:
    try:
        return client.get(url).status_code == 200
    except httpx.HTTPError:
        return False


def _fail_if_a_process_died(plan: Plan) -> None:
    for pid_file in (plan.state_dir / "pids").glob("*.pid"):
        if not _alive(int(pid_file.read_text())):
            log = plan.state_dir / "log" / f"{pid_file.stem}.log"
            tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
            raise StartFailed(f"{pid_file.stem} exited during start:\n{tail}")


def _alive(pid: int) -> bool:
    try:
        waited, _status = os.waitpid(pid, os.WNOHANG)
        if waited == pid:
            return False
    except ChildProcessError:
        pass  # not our child (started by an earlier `quintet up`): fall back to a signal probe
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def down(state_dir: Path, *, grace: float = 10.0) -> int:
    pid_dir = state_dir / "pids"
    pids = {f: int(f.read_text()) for f in pid_dir.glob("*.pid")} if pid_dir.exists() else {}
    for pid in pids.values():
        _signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(_alive(pid) for pid in pids.values()):
        time.sleep(0.1)
    for pid in pids.values():
        if _alive(pid):
            _signal_group(pid, signal.SIGKILL)
    for pid_file in pids:
        pid_file.unlink(missing_ok=True)
    return len(pids)


def _signal_group(pid: int, signum: int) -> None:
    with suppress(ProcessLookupError):
        os.killpg(pid, signum)  # each process leads its own group (start_new_session)
