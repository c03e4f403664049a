"""A service's API behind the gateway, as the concurrency tests drive it: in distributed mode
several `<name> serve` processes (each with its own connection pool), each behind a gateway of its
own (the gateways share one client registry); in embedded mode the service's app in the test's
process behind one gateway. The gateways are served for real on loopback ports."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx

from quintet_shared.bus.memory import InMemoryBus
from quintet_shared.component import ComponentDefinition, create_service_app
from quintet_shared.db import make_engine
from quintet_shared.runtime import Runtime
from quintet_shared.testing.loop_server import serving_in_loop

START_TIMEOUT_SECONDS = 60
GatewayFactory = Callable[[Mapping[str, Any]], Any]  # {service: base URL or ASGI app} → the gateway app


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def replica(definition: ComponentDefinition, database_url: str, workdir: Path) -> Iterator[str]:
    """`<name> serve` in a process of its own on a free port, as distributed mode runs it; its URL."""
    name = definition.name
    port = free_port()
    env = {**os.environ, f"{name.upper()}_DATABASE_URL": database_url, "LOG_LEVEL": "WARNING"}
    log = workdir / f"{name}-{port}.log"
    command = [str(Path(sys.executable).with_name(name)), "serve", "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, cwd=workdir, stdout=out, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not _ready(url):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{name} replica did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health/ready", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@asynccontextmanager
async def gateways(
    definition: ComponentDefinition,
    mode: str,
    database_url: str,
    tmp_path: Path,
    *,
    gateway: GatewayFactory,
    replicas: int = 2,
) -> AsyncIterator[list[str]]:
    """The gateway URLs to call: one per replica (`mode` "distributed") or one in front of the
    service in this process ("embedded"). `gateway` makes a gateway app for `{service: upstream}`
    (the gateway is a component of its own: the kit does not import it); give every gateway the
    same client registry."""
    async with AsyncExitStack() as stack:
        upstreams: list[Any]
        if mode == "distributed":
            upstreams = [stack.enter_context(replica(definition, database_url, tmp_path)) for _ in range(replicas)]
        else:
            bus = InMemoryBus()
            await bus.start()
            stack.push_async_callback(bus.close)
            runtime = Runtime(engine=make_engine(database_url), bus=bus, owns_bus=False)
            stack.callback(runtime.engine.dispose)
            settings = definition.settings_class(database_url=database_url)  # type: ignore[call-arg]
            app = create_service_app(definition, settings, runtime)
            await stack.enter_async_context(app.router.lifespan_context(app))
            upstreams = [app]
        urls = []
        for upstream in upstreams:
            urls.append(await stack.enter_async_context(serving_in_loop(gateway({definition.name: upstream}))))
        yield urls
