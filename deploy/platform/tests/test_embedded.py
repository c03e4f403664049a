"""Embedded mode as `make run` starts it: one process, no servers, every service ready."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from quintet_platform.components import SANDBOX_PORT_OFFSET, SERVICES
from quintet_shared.testing.ports import free_port_pair


def wait_for_health(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "quintet run exited during start"
        try:
            response = httpx.get(url, timeout=2)
            if response.status_code == 200:
                return response
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{url} not healthy within {timeout} s")


def eventually_ok(url: str, *, headers: dict[str, str], within: float = 10) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if httpx.get(url, headers=headers, timeout=5).status_code == 200:
            return True
        time.sleep(0.1)
    return False


def promos_seen_by_a_client(gateway: str, headers: dict[str, str]) -> None:
    """The `promos` demo client is granted promotions alone, and has promos running at once."""
    assert eventually_ok(f"{gateway}/promotions/tenant", headers=headers)
    assert httpx.get(f"{gateway}/promotions/tenant", headers=headers).json()["services"] == ["promotions"]
    assert httpx.get(f"{gateway}/readings/tenant", headers=headers).status_code == 403
    for resource, count in [("stores", 3), ("products", 20), ("segments", 2)]:
        assert httpx.get(f"{gateway}/promotions/{resource}", headers=headers).json()["count"] == count, resource
    assert httpx.get(f"{gateway}/promotions/promos/running", headers=headers).json()["count"] >= 1
    eligible = httpx.get(f"{gateway}/promotions/promos/eligible", params={"user": "alice"}, headers=headers)
    assert eligible.status_code == 200 and eligible.json()["count"] >= 1, eligible.text


def test_quintet_run_serves_every_service_from_sqlite(tmp_path: Path) -> None:
    port = free_port_pair(SANDBOX_PORT_OFFSET)
    env = {k: v for k, v in os.environ.items() if k != "AMQP_URL" and not k.endswith("_DATABASE_URL")}
    quintet = str(Path(sys.executable).with_name("quintet"))
    process = subprocess.Popen(
        [quintet, "run", "--port", str(port)], cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        health = wait_for_health(f"http://127.0.0.1:{port}/health", process)
        services = health.json()["services"]
        assert set(services) == set(SERVICES)
        assert all(service["status"] == "ok" for service in services.values())
        assert sorted(p.name for p in (tmp_path / "var").glob("*.db")) == sorted(
            f"{name}.db" for name in [*SERVICES, "gateway"]
        )
        app_ids = json.loads((tmp_path / "var" / "demo-clients.json").read_text())
        assert set(app_ids) == {"demo", "potatoes", "carrots", "promos"}
        sandbox = httpx.get(f"http://127.0.0.1:{port + 9}/health/ready", timeout=5)
        assert sandbox.status_code == 200
        for service in SERVICES:  # the demo client's registration event reaches every service
            url = f"http://127.0.0.1:{port}/{service}/tenant"
            assert eventually_ok(url, headers={"X-App-Id": app_ids["demo"]}), service
        promos_seen_by_a_client(f"http://127.0.0.1:{port}", {"X-App-Id": app_ids["promos"]})
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=30)[0].decode(errors="replace")
    assert process.returncode == 0, output[-3000:]
    assert "Traceback" not in output, output[-3000:]
