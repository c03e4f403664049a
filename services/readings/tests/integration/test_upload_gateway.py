"""Acceptance 6: an upload through the gateway runs as a job to SUCCESS and the event is published.

Composed in one process as embedded mode does it: the gateway (served by uvicorn) forwards to the
readings app in-process; a readings worker runs the job and relays the outbox onto the in-process
bus, where a test queue bound to `readings.file.ingested` receives the event.
"""

import asyncio
import socket
from pathlib import Path

import httpx
import uvicorn

from gateway.config import Settings as GatewaySettings
from gateway.main import create_app as create_gateway
from quintet_shared.bus.memory import InMemoryBus
from quintet_shared.component import create_service_app
from quintet_shared.db import make_engine
from quintet_shared.envelope import Envelope
from quintet_shared.migrations import upgrade
from quintet_shared.runtime import Runtime
from quintet_shared.settings import DEV_ADMIN_TOKEN
from quintet_shared.worker import ComponentWorker
from readings.component import DEFINITION
from readings.config import Settings

CARROTS = Path(__file__).resolve().parents[1] / "fixtures" / "carrots" / "readings.txt"


async def serve(app: object) -> tuple[uvicorn.Server, asyncio.Task[None], str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))  # type: ignore[arg-type]
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.01)
    return server, task, f"http://127.0.0.1:{sock.getsockname()[1]}"


async def test_an_upload_through_the_gateway_runs_to_success_and_publishes(database_url: str, tmp_path: Path) -> None:
    upgrade(DEFINITION.migrations, database_url)
    bus = InMemoryBus()
    await bus.start()
    published: list[Envelope] = []

    async def collect(envelope: Envelope) -> None:
        published.append(envelope)

    await bus.consume("test.ingested", ["readings.file.ingested"], collect)
    runtime = Runtime(engine=make_engine(database_url), bus=bus, owns_bus=False)
    settings = Settings(database_url=database_url)
    readings = create_service_app(DEFINITION, settings, runtime)
    worker = ComponentWorker(DEFINITION, settings, runtime)
    stop = asyncio.Event()
    async with readings.router.lifespan_context(readings):
        await worker.start_consumers()
        running = asyncio.create_task(worker.run(stop))
        gateway_settings = GatewaySettings(database_url=f"sqlite:///{tmp_path / 'gateway.db'}")
        server, serving, url = await serve(
            create_gateway(gateway_settings, upstreams={"readings": readings}, migrate=True)
        )
        try:
            async with httpx.AsyncClient(base_url=url, timeout=30) as http:
                await upload_and_wait(http)
            for _ in range(200):
                if published:
                    break
                await asyncio.sleep(0.05)
        finally:
            server.should_exit = True
            stop.set()
            await asyncio.gather(serving, running, return_exceptions=True)
    await bus.close()
    runtime.engine.dispose()
    assert [event.type for event in published] == ["readings.file.ingested"]
    data = published[0].data
    assert (published[0].client, data["supply_points"], data["new_readings"], data["rejected"]) == ("carrots", 3, 53, 0)


async def upload_and_wait(http: httpx.AsyncClient) -> None:
    admin = {"Authorization": f"Bearer {DEV_ADMIN_TOKEN}"}
    created = await http.post(
        "/admin/clients", headers=admin, json={"code": "carrots", "name": "Carrots", "services": ["readings"]}
    )
    assert created.status_code == 201, created.text
    app_id = {"X-App-Id": created.json()["app_id"]}
    files = {"file": ("readings.txt", CARROTS.read_bytes(), "text/plain")}
    accepted = await http.post("/readings/files", headers=app_id, files=files)
    assert accepted.status_code == 202, accepted.text
    status_url = accepted.json()["status_url"]
    for _ in range(400):
        job = (await http.get(status_url, headers=app_id)).json()
        if job["status"] in ("SUCCESS", "FAILURE"):
            break
        await asyncio.sleep(0.05)
    assert job["status"] == "SUCCESS", job
    assert job["result"]["new_readings"] == 53 and job["errors"] == []
