"""A 100 MB upload streams through a gateway running as its own process, without its memory growing."""

import hashlib
import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime

import httpx
import psutil
import pytest

from gateway import registry
from gateway.migrate import migrate
from gateway.models import ClientCreate
from quintet_shared.db import make_engine, session_scope

MB = 1024 * 1024
SIZE = 100 * MB


class PeakRss(threading.Thread):
    """Samples a process's resident memory until stopped, keeping the highest value seen."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.process = psutil.Process(pid)
        self.peak = self.process.memory_info().rss
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(0.005)

    def stop(self) -> int:
        self.done.set()
        self.join()
        return self.peak


@pytest.fixture
def gateway_process(tmp_path, serve, make_fake_service, unused_port):
    upstream = serve(make_fake_service("readings"))
    database_url = f"sqlite:///{tmp_path / 'gateway.db'}"
    migrate(database_url)
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        data = ClientCreate(code="uploader", name="Uploader", services=["readings"])
        _client, app_id = registry.register(
            session, data=data, known_services={"readings"}, default_rate_limit=600, now=datetime.now(UTC)
        )
    engine.dispose()
    port = unused_port()
    env = {
        **os.environ,
        "QUINTET_ENV": "test",
        "GATEWAY_DATABASE_URL": database_url,
        "GATEWAY_UPSTREAMS": f"readings={upstream.url}",
        "LOG_FORMAT": "text",
    }
    command = [sys.executable, "-c", "from gateway.cli import app; app()", "serve", "--port", str(port)]
    process = subprocess.Popen(command, env=env, cwd=tmp_path)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_live(url, process)
        yield url, app_id, process.pid
    finally:
        process.terminate()
        process.wait(10)


def _wait_until_live(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60  # imports are slow on a busy machine
    while time.monotonic() < deadline:
        assert process.poll() is None, "the gateway process exited"
        try:
            if httpx.get(f"{url}/health/live", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("the gateway process did not come up")


def test_100_mb_upload_streams_through_in_bounded_memory(gateway_process):
    url, app_id, pid = gateway_process
    headers = {"X-App-Id": app_id}
    block = os.urandom(MB)
    warm = httpx.post(f"{url}/readings/upload", content=block, headers=headers, timeout=30)
    assert warm.json()["bytes"] == MB

    expected = hashlib.sha256()
    for _ in range(SIZE // MB):
        expected.update(block)

    def body():
        for _ in range(SIZE // MB):
            yield block

    sampler = PeakRss(pid)
    before = sampler.peak
    sampler.start()
    response = httpx.post(
        f"{url}/readings/upload",
        content=body(),
        headers={**headers, "Content-Length": str(SIZE)},
        timeout=120,
    )
    peak = sampler.stop()
    assert response.status_code == 200, response.text
    assert response.json() == {"bytes": SIZE, "sha256": expected.hexdigest()}
    growth = (peak - before) / MB
    print(f"gateway RSS: {before / MB:.1f} MB before, {peak / MB:.1f} MB at peak (+{growth:.1f} MB)")
    assert growth < 50
