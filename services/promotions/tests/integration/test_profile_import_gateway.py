"""A profiles CSV uploaded through the gateway runs as a job to its end, on both databases: the job's
status, progress, counts and line-numbered errors are read back through the gateway.

Composed in one process as embedded mode does it: the gateway (served by uvicorn) forwards to the
promotions app in-process; a promotions worker runs the job from the in-process bus.
"""

import asyncio
import socket
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from gateway.config import Settings as GatewaySettings
from gateway.main import create_app as create_gateway
from promotions.component import DEFINITION
from promotions.config import Settings
from quintet_shared.bus.memory import InMemoryBus
from quintet_shared.component import create_service_app
from quintet_shared.db import make_engine
from quintet_shared.migrations import upgrade
from quintet_shared.runtime import Runtime
from quintet_shared.settings import DEV_ADMIN_TOKEN
from quintet_shared.worker import ComponentWorker

CSV = (
    "user,email,latitude,longitude,segments\n"
    "007,ana@example.com,0,0,New users\n"
    "008,,,,Frequent buyers;New users\n"
    "009,,91,0,New users\n"
    "010,,1,1,VIP\n"
)


async def serve(app: object) -> tuple[uvicorn.Server, asyncio.Task[None], str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))  # type: ignore[arg-type]
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.01)
    return server, task, f"http://127.0.0.1:{sock.getsockname()[1]}"


async def test_an_upload_through_the_gateway_runs_to_its_end(database_url: str, tmp_path: Path) -> None:
    upgrade(DEFINITION.migrations, database_url)
    bus = InMemoryBus()
    await bus.start()
    runtime = Runtime(engine=make_engine(database_url), bus=bus, owns_bus=False)
    settings = Settings(database_url=database_url)
    promotions = create_service_app(DEFINITION, settings, runtime)
    worker = ComponentWorker(DEFINITION, settings, runtime)
    stop = asyncio.Event()
    async with promotions.router.lifespan_context(promotions):
        await worker.start_consumers()
        running = asyncio.create_task(worker.run(stop))
        gateway_settings = GatewaySettings(database_url=f"sqlite:///{tmp_path / 'gateway.db'}")
        server, serving, url = await serve(
            create_gateway(gateway_settings, upstreams={"promotions": promotions}, migrate=True)
        )
        try:
            async with httpx.AsyncClient(base_url=url, timeout=30) as http:
                job, listed = await upload_and_wait(http)
        finally:
            server.should_exit = True
            stop.set()
            await asyncio.gather(serving, running, return_exceptions=True)
    await bus.close()
    runtime.engine.dispose()
    assert job["status"] == "SUCCESS", job
    assert job["progress"]["done"] == job["progress"]["total"] == len(CSV)
    result = {key: job["result"][key] for key in ("status", "rows", "created", "replaced", "rejected")}
    assert result == {"status": "PARTIAL", "rows": 4, "created": 2, "replaced": 0, "rejected": 2}
    assert [error["line"] for error in job["errors"]] == [4, 5]
    assert "no such segment: 'VIP'" in job["errors"][1]["message"]
    assert {item["user"]: item["segments"] for item in listed} == {
        "007": ["New users"],
        "008": ["Frequent buyers", "New users"],
    }


async def upload_and_wait(http: httpx.AsyncClient) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    admin = {"Authorization": f"Bearer {DEV_ADMIN_TOKEN}"}
    created = await http.post(
        "/admin/clients", headers=admin, json={"code": "promos", "name": "Promos", "services": ["promotions"]}
    )
    assert created.status_code == 201, created.text
    app_id = {"X-App-Id": created.json()["app_id"]}
    for name in ("New users", "Frequent buyers"):
        segment = await http.post("/promotions/segments", headers=app_id, json={"name": name})
        assert segment.status_code == 201, segment.text
    files = {"file": ("profiles.csv", CSV.encode(), "text/csv")}
    accepted = await http.post("/promotions/profiles/files", headers=app_id, files=files)
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["status"] == "PENDING"
    status_url = accepted.json()["status_url"]
    for _ in range(400):
        job = (await http.get(status_url, headers=app_id)).json()
        if job["status"] in ("SUCCESS", "FAILURE"):
            break
        await asyncio.sleep(0.05)
    listed = (await http.get("/promotions/profiles", headers=app_id)).json()["results"]
    return job, listed
