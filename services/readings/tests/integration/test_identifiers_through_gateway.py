"""Issue 7, defect 3: a valid client got 401 for identifiers with `#`, `?`, `\\`, a tab, CR or LF.

Such identifiers can be stored from a file; read back with the identifier percent-escaped in the URL,
the gateway and the service signed different targets. The real chain, both ways the gateway reaches
a service: readings served by uvicorn over HTTP (distributed mode) and in the gateway's process
(embedded mode); the gateway served by uvicorn with the kit's server options in both.
"""

import asyncio
import json
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from gateway.config import Settings as GatewaySettings
from gateway.main import create_app as create_gateway
from quintet_shared.bus.memory import InMemoryBus
from quintet_shared.component import create_service_app
from quintet_shared.db import make_engine
from quintet_shared.migrations import upgrade
from quintet_shared.runtime import Runtime
from quintet_shared.settings import DEV_ADMIN_TOKEN
from quintet_shared.testing.loop_server import serving_in_loop
from quintet_shared.worker import ComponentWorker
from readings.component import DEFINITION
from readings.config import Settings

AWKWARD = {
    "hash": "sp#1",
    "question mark": "sp?1",
    "backslash": "sp\\1",
    "tab": "sp\t1",
    "carriage return": "sp\r1",
    "line feed": "sp\n1",
}


@pytest.mark.parametrize("mode", ["service over HTTP", "service in process"])
async def test_defect_3_awkward_identifiers_read_back_through_the_gateway(
    mode: str, database_url: str, tmp_path: Path
) -> None:
    upgrade(DEFINITION.migrations, database_url)
    bus = InMemoryBus()
    await bus.start()
    runtime = Runtime(engine=make_engine(database_url), bus=bus, owns_bus=False)
    settings = Settings(database_url=database_url)
    readings = create_service_app(DEFINITION, settings, runtime)
    worker = ComponentWorker(DEFINITION, settings, runtime)
    stop = asyncio.Event()
    gateway_settings = GatewaySettings(database_url=f"sqlite:///{tmp_path / 'gateway.db'}")
    try:
        async with readings.router.lifespan_context(readings):
            await worker.start_consumers()
            running = asyncio.create_task(worker.run(stop))
            try:
                if mode == "service over HTTP":
                    async with serving_in_loop(readings) as readings_url:
                        await _store_and_read_back(gateway_settings, readings_url)
                else:
                    await _store_and_read_back(gateway_settings, readings)
            finally:
                stop.set()
                await running
    finally:
        await bus.close()
        runtime.engine.dispose()


async def _store_and_read_back(gateway_settings: GatewaySettings, readings: object) -> None:
    gateway = create_gateway(gateway_settings, upstreams={"readings": readings}, migrate=True)
    async with serving_in_loop(gateway) as url, httpx.AsyncClient(base_url=url, timeout=30) as http:
        app_id = await _register_potatoes(http)
        await _upload(http, app_id)
        for case, identifier in AWKWARD.items():
            escaped = quote(identifier, safe="")
            for target in (
                f"/readings/{escaped}",
                f"/readings/{escaped}?from_dt=2023-01-01T00:00:00%2B09:00",
                f"/readings/v2/{escaped}",
                f"/readings/supply-points/{escaped}",
            ):
                response = await http.get(target, headers=app_id)
                assert response.status_code == 200, (case, target, response.text)
            point = (await http.get(f"/readings/supply-points/{escaped}", headers=app_id)).json()
            assert point["identifier"] == identifier, case


async def _register_potatoes(http: httpx.AsyncClient) -> dict[str, str]:
    admin = {"Authorization": f"Bearer {DEV_ADMIN_TOKEN}"}
    body = {"code": "potatoes", "name": "Potatoes", "services": ["readings"]}
    created = await http.post("/admin/clients", headers=admin, json=body)
    assert created.status_code == 201, created.text
    return {"X-App-Id": created.json()["app_id"]}


async def _upload(http: httpx.AsyncClient, app_id: dict[str, str]) -> None:
    points = [
        {"identifier": identifier, "readings": [{"value": 1.5, "read_at": "2023-11-02T00:00:00Z"}]}
        for identifier in AWKWARD.values()
    ]
    files = {"file": ("readings.json", json.dumps(points).encode(), "application/json")}
    accepted = await http.post("/readings/files", headers=app_id, files=files)
    assert accepted.status_code == 202, accepted.text
    for _ in range(400):
        job = (await http.get(accepted.json()["status_url"], headers=app_id)).json()
        if job["status"] in ("SUCCESS", "FAILURE"):
            break
        await asyncio.sleep(0.05)
    assert job["status"] == "SUCCESS", job
    assert job["result"]["supply_points"] == len(AWKWARD), job
