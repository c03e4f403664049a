"""The operator commands every component's console script starts with: serve, worker, migrate."""

import asyncio
import signal

import typer
import uvicorn
import uvloop

from quintet_shared.component import ComponentDefinition, database_url
from quintet_shared.http_server import server_options
from quintet_shared.logs import configure_logging
from quintet_shared.migrations import upgrade
from quintet_shared.runtime import Runtime
from quintet_shared.worker import ComponentWorker
from quintet_shared.worker_health import worker_health_app


def component_cli(definition: ComponentDefinition) -> typer.Typer:
    app = typer.Typer(help=f"{definition.title}: operator commands.", no_args_is_help=True)

    @app.command()
    def serve(host: str = "127.0.0.1", port: int = definition.port, workers: int = 1) -> None:
        """Serve the HTTP API."""
        settings = definition.settings()
        configure_logging(definition.name, level=settings.log_level, fmt=settings.log_format)
        uvicorn.run(
            definition.app_factory,
            factory=True,
            host=host,
            port=port,
            workers=workers,
            lifespan="on",
            log_config=None,
            **server_options(settings),
        )

    @app.command()
    def worker(health_port: int = definition.health_port, health_host: str = "127.0.0.1") -> None:
        """Run the consumers, the job runner, the outbox relay and the schedules."""
        settings = definition.settings()
        configure_logging(f"{definition.name}-worker", level=settings.log_level, fmt=settings.log_format)
        # uvloop, as the APIs run: a worker's cost is mostly the event loop's own per message (tasks,
        # futures, socket writes of aio-pika), and uvloop relayed 20-30 % more events a second.
        uvloop.run(_run_worker(definition, health_host, health_port))

    @app.command()
    def migrate() -> None:
        """Apply this component's database migrations (Alembic upgrade head)."""
        settings = definition.settings()
        upgrade(definition.migrations, database_url(settings))
        typer.echo(f"{definition.name}: database is at the latest migration")

    return app


async def _run_worker(definition: ComponentDefinition, health_host: str, health_port: int) -> None:
    settings = definition.settings()
    runtime = Runtime.from_settings(settings, database_url(settings))
    await runtime.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    worker = ComponentWorker(definition, settings, runtime)
    health_app = worker_health_app(runtime, worker.metrics)
    health = uvicorn.Server(
        uvicorn.Config(health_app, host=health_host, port=health_port, log_config=None, **server_options(settings))
    )
    # `_serve` rather than `serve`: the worker owns the signals, and stops the health server itself.
    health_task = asyncio.create_task(health._serve())
    try:
        await worker.run(stop)
    finally:
        health.should_exit = True
        await health_task
        await runtime.close()
