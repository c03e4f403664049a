"""Acceptance point 3 of issue 7: Schemathesis (`--checks all`, every phase) over the merged document,
through the gateway of `quintet run`, finds nothing.

Two runs, because the admin API can rotate or disable any client, the test's own included: first
every service operation with a client granted every service, then the admin API. Bounded (README,
"API conformance"): a few examples per operation, one worker, each run within 10 minutes.
"""

import os
import re
import resource
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from quintet_platform.components import SANDBOX_PORT_OFFSET, SERVICES
from quintet_shared.testing.ports import free_port_pair

ROOT = Path(__file__).resolve().parents[3]
CONFIG = ROOT / "schemathesis.toml"
SAMPLE = ROOT / "services" / "readings" / "tests" / "fixtures" / "potatoes" / "readings.json"
MAX_EXAMPLES = int(os.environ.get("CONFORMANCE_MAX_EXAMPLES", "25"))
SEED = os.environ.get("CONFORMANCE_SEED", "20261201")
# Each of the two runs. The document grows with every service (the marketplace's 29 operations took
# 134 s alone on a busy 2-core machine), so the bound leaves room beyond the usual few minutes.
RUN_TIMEOUT_SECONDS = 600
MEMORY_LIMIT_BYTES = 3 * 1024**3


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))


def _until(predicate, *, within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{what} not within {within} s")


class Platform:
    def __init__(self, url: str, admin_token: str, process: subprocess.Popen[bytes], workdir: Path) -> None:
        self.url = url
        self.admin = {"Authorization": f"Bearer {admin_token}"}
        self.process = process
        self.workdir = workdir


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    workdir = tmp_path_factory.mktemp("conformance")
    port = free_port_pair(SANDBOX_PORT_OFFSET)
    token = secrets.token_urlsafe(16)
    env = {k: v for k, v in os.environ.items() if k != "AMQP_URL" and not k.endswith("_DATABASE_URL")}
    env.update(GATEWAY_ADMIN_TOKEN=token, LOG_LEVEL="WARNING")
    quintet = str(Path(sys.executable).with_name("quintet"))
    log = (workdir / "quintet.log").open("wb")
    process = subprocess.Popen(
        [quintet, "run", "--port", str(port)],
        cwd=workdir,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=_limit_memory,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _until(lambda: httpx.get(f"{url}/health", timeout=2).status_code == 200, within=60, what="quintet run")
        yield Platform(url, token, process, workdir)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        log.close()


def register_client_of_every_service(platform: Platform) -> str:
    body = {"code": "conformance", "name": "Conformance", "services": list(SERVICES), "rate_limit_per_minute": 10**8}
    created = httpx.post(f"{platform.url}/admin/clients", json=body, headers=platform.admin, timeout=10)
    assert created.status_code == 201, created.text
    app_id = created.json()["app_id"]
    for service in SERVICES:  # the registration event reaches every service's copy of the registry
        tenant = f"{platform.url}/{service}/tenant"
        _until(
            lambda t=tenant: httpx.get(t, headers={"X-App-Id": app_id}, timeout=5).status_code == 200,
            within=20,
            what=f"{service} knowing the client",
        )
    return app_id


def give_it_readings(platform: Platform, app_id: str) -> None:
    """A format and a file of readings, so that reads find supply points (the stateful phase follows
    the list to them) and the uploads Schemathesis makes are really ingested."""
    readings = str(Path(sys.executable).with_name("readings"))
    env = {k: v for k, v in os.environ.items() if not k.endswith("_DATABASE_URL")}  # ./var, as quintet run
    command = [readings, "clients", "set", "conformance", "--format", "potatoes", "--timezone", "UTC"]
    subprocess.run(command, cwd=platform.workdir, env=env, check=True, capture_output=True, timeout=60)
    with SAMPLE.open("rb") as sample:
        files = {"file": ("readings.json", sample, "application/json")}
        queued = httpx.post(f"{platform.url}/readings/files", files=files, headers={"X-App-Id": app_id}, timeout=30)
    assert queued.status_code == 202, queued.text
    job = f"{platform.url}{queued.json()['status_url']}"
    _until(
        lambda: httpx.get(job, headers={"X-App-Id": app_id}, timeout=5).json()["status"] == "SUCCESS",
        within=30,
        what="the sample file ingested",
    )


def schemathesis(platform: Platform, *options: str) -> subprocess.CompletedProcess[str]:
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file",
        str(CONFIG),
        "--no-color",
        "run",
        f"{platform.url}/openapi.json",
        "--checks",
        "all",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        SEED,
        "--workers",
        "1",  # Hypothesis is not thread-safe enough for more (it fails inside its own code)
        "--request-timeout",
        "10",
        *options,
    ]
    return subprocess.run(  # in the platform's directory: Schemathesis keeps a cache where it runs
        command,
        cwd=platform.workdir,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_SECONDS,
        preexec_fn=_limit_memory,
        check=False,
    )


# Past the suite's 5-minute default: two runs of up to RUN_TIMEOUT_SECONDS each, and the start.
@pytest.mark.timeout(2 * RUN_TIMEOUT_SECONDS + 120)
def test_schemathesis_finds_nothing_in_the_merged_document_through_the_gateway(platform: Platform) -> None:
    app_id = register_client_of_every_service(platform)
    give_it_readings(platform, app_id)
    services = schemathesis(platform, "--header", f"X-App-Id: {app_id}", "--exclude-path-regex", "^/admin")
    assert services.returncode == 0, services.stdout[-20000:] + services.stderr[-3000:]
    admin = schemathesis(
        platform, "--header", f"Authorization: {platform.admin['Authorization']}", "--include-path-regex", "^/admin"
    )
    assert admin.returncode == 0, admin.stdout[-20000:] + admin.stderr[-3000:]
    assert platform.process.poll() is None, "quintet run died during the runs"
    for run in (services, admin):
        generated = re.search(r"(\d+) generated", run.stdout)
        assert generated is not None and int(generated[1]) > 0, run.stdout[-3000:]
        print(run.stdout[-600:])  # shown with -s, or -rP: what was tested
