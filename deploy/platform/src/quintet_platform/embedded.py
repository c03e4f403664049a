"""Embedded mode (`make run`): the whole platform in one process, nothing to install but Python.

Every service keeps its own SQLite file under ./var and its own migrations; one in-process bus
carries the events with RabbitMQ's envelope and delivery semantics; the gateway forwards to the
services' ASGI apps in-process (still signed, still checked); the sandbox listens on its own port.
"""

import asyncio
import logging
import os
import signal
from contextlib import AsyncExitStack

import uvicorn
from fastapi import FastAPI
from sqlalchemy.engine import Engine

from quintet_platform.components import (
    SANDBOX_PORT_OFFSET,
    definition,
    gateway_url_settings,
    sandbox_provider_urls,
    sandbox_smtp_settings,
    service_definitions,
)
from quintet_platform.demo import ensure_demo_clients, print_demo_clients, seed_demo_data
from quintet_shared.bus.memory import InMemoryBus
from quintet_shared.component import ComponentDefinition, create_service_app, database_url
from quintet_shared.db import make_engine
from quintet_shared.http_server import server_options
from quintet_shared.logs import configure_logging
from quintet_shared.migrations import upgrade
from quintet_shared.runtime import Runtime
from quintet_shared.settings import ComponentSettings
from quintet_shared.worker import ComponentWorker

log = logging.getLogger(__name__)


def _runtime(component: ComponentDefinition, settings: ComponentSettings, bus: InMemoryBus) -> Runtime:
    url = database_url(settings)
    upgrade(component.migrations, url)  # embedded mode migrates at start; the other modes run `migrate`
    return Runtime(engine=make_engine(url), bus=bus, owns_bus=False)


def _server(app: object, host: str, port: int, settings: ComponentSettings) -> uvicorn.Server:
    options = server_options(settings)
    config = uvicorn.Config(app, host=host, port=port, log_config=None, **options)  # type: ignore[arg-type]
    return uvicorn.Server(config)


async def serve_embedded(*, host: str = "127.0.0.1", port: int = 8000) -> None:
    # The services' settings are read from the environment: their providers are this run's sandbox.
    os.environ.update(sandbox_provider_urls(port + SANDBOX_PORT_OFFSET, os.environ))
    os.environ.update(gateway_url_settings(port, os.environ))
    os.environ.update(sandbox_smtp_settings(port, os.environ))
    common = ComponentSettings()
    configure_logging("quintet", level=common.log_level, fmt="text")
    bus = InMemoryBus(
        delivery_limit=common.bus_delivery_limit,
        batch_size=common.bus_batch_size,
        batch_wait=common.bus_batch_wait_ms / 1000,
    )
    await bus.start()
    stop = asyncio.Event()
    async with AsyncExitStack() as stack:
        service_apps: dict[str, FastAPI] = {}
        engines: dict[str, Engine] = {}
        workers: list[ComponentWorker] = []
        for component in service_definitions():
            settings = component.settings()
            runtime = _runtime(component, settings, bus)
            app = create_service_app(component, settings, runtime)
            await stack.enter_async_context(app.router.lifespan_context(app))
            service_apps[component.name] = app
            engines[component.name] = runtime.engine
            workers.append(ComponentWorker(component, settings, runtime))
        gateway_component = definition("gateway")
        gateway_settings = gateway_component.settings()
        gateway_runtime = _runtime(gateway_component, gateway_settings, bus)
        workers.append(ComponentWorker(gateway_component, gateway_settings, gateway_runtime))
        gateway_app = _gateway_app(gateway_settings, gateway_runtime, service_apps)
        for worker in workers:
            await worker.start_consumers()
        worker_tasks = [asyncio.create_task(worker.run(stop)) for worker in workers]
        app_ids = ensure_demo_clients(gateway_runtime.engine, gateway_settings)
        seed_demo_data(engines)
        print_demo_clients(app_ids, host=host, port=port)
        # The gateway's server faces every client, and holds them to the limits for all the services.
        servers = [
            _server(gateway_app, host, port, gateway_settings),
            _server(_sandbox_app(), host, port + SANDBOX_PORT_OFFSET, common),
        ]
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, lambda: _stop_all(stop, servers))
        await asyncio.gather(*(server._serve() for server in servers))
        stop.set()
        await asyncio.gather(*worker_tasks, return_exceptions=True)
    await bus.close()


def _stop_all(stop: asyncio.Event, servers: list[uvicorn.Server]) -> None:
    stop.set()
    for server in servers:
        server.should_exit = True


def _gateway_app(settings: ComponentSettings, runtime: Runtime, service_apps: dict[str, FastAPI]) -> object:
    from gateway.main import create_app

    return create_app(settings, runtime, upstreams=service_apps)


def _sandbox_app() -> FastAPI:
    from sandbox.main import create_app

    return create_app()
