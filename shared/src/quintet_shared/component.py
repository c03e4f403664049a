"""A component described once, and the FastAPI app every service builds from that description.

Each service declares a `ComponentDefinition` (its name, settings, tables, migrations, routers,
event handlers, jobs and schedules); the app factory, the worker, the CLI and both run modes read
it, so the plumbing is written once here and each service holds only its domain.
"""

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.routing import APIRouter
from sqlalchemy import MetaData

from quintet_shared.context import client_context
from quintet_shared.deps import get_engine
from quintet_shared.errors import install_problem_handlers
from quintet_shared.health import health_router
from quintet_shared.inbox import EventHandler
from quintet_shared.jobs import JobFunc, jobs_router
from quintet_shared.metrics import Metrics
from quintet_shared.middleware import RequestMiddleware
from quintet_shared.openapi_answers import install_documented_answers
from quintet_shared.public import check_route_paths, public_caller
from quintet_shared.runtime import Runtime
from quintet_shared.schedules import OneShotAction, Periodic
from quintet_shared.settings import ComponentSettings
from quintet_shared.tenants import TENANT_HANDLERS, tenant_router


@dataclass(frozen=True)
class ComponentDefinition:
    name: str
    title: str
    port: int
    settings_class: type[ComponentSettings]
    metadata: MetaData
    migrations: Path
    app_factory: str  # "module:function", for uvicorn
    routers: Sequence[APIRouter] = ()
    # Routes under `/<name>/public/` for callers that are not clients (quintet_shared.public).
    public_routers: Sequence[APIRouter] = ()
    event_handlers: Mapping[str, EventHandler] = field(default_factory=dict)
    jobs: Mapping[str, JobFunc] = field(default_factory=dict)
    periodic: Sequence[Periodic] = ()
    one_shot: Mapping[str, OneShotAction] = field(default_factory=dict)
    keeps_tenants: bool = True  # services keep a copy of the client registry; the gateway owns it

    @property
    def health_port(self) -> int:
        return self.port + 100

    def all_event_handlers(self) -> dict[str, EventHandler]:
        handlers = dict(TENANT_HANDLERS) if self.keeps_tenants else {}
        handlers.update(self.event_handlers)
        return handlers

    def settings(self) -> ComponentSettings:
        return self.settings_class()


def database_url(settings: ComponentSettings) -> str:
    url = getattr(settings, "database_url", None)
    if not url:
        raise ValueError(f"{type(settings).__name__} has no database_url")
    return str(url)


def create_service_app(
    definition: ComponentDefinition,
    settings: ComponentSettings | None = None,
    runtime: Runtime | None = None,
    extra_state: Mapping[str, Any] | None = None,
) -> FastAPI:
    """The API of one service: its routers under `/<name>/`, all behind the gateway signature (its
    public routers under `/<name>/public/`, for client `-` only; the others for clients only); health
    and metrics outside the prefix; problem+json everywhere."""
    settings = settings or definition.settings()
    metrics = Metrics(definition.name)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        active = runtime or Runtime.from_settings(settings, database_url(settings))
        await active.start()
        app.state.runtime = active
        try:
            yield
        finally:
            await active.close()

    app = FastAPI(title=definition.title, lifespan=lifespan, version="1.0.0")
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.definition = definition
    for key, value in (extra_state or {}).items():
        setattr(app.state, key, value)
    install_problem_handlers(app)
    app.add_middleware(
        RequestMiddleware,
        metrics=metrics,
        max_body_bytes=settings.max_body_bytes,
        body_limits=settings.body_limits(),
    )
    app.include_router(health_router(lambda: app.state.runtime.engine, lambda: app.state.runtime.bus))
    app.add_route("/metrics", metrics.endpoint(), include_in_schema=False)
    signed = [Depends(client_context)]
    # The kit's fixed paths come first: a service's own catch-all path (`/readings/{identifier}`)
    # would otherwise answer for `/readings/tenant`.
    routers: list[APIRouter] = [jobs_router(definition.name, get_engine)]
    if definition.keeps_tenants:
        routers.append(tenant_router(definition.name))
    routers.extend(definition.routers)
    check_route_paths(definition.name, public=definition.public_routers, private=routers)
    for router in definition.public_routers:
        app.include_router(router, dependencies=[Depends(public_caller)])
    for router in routers:
        app.include_router(router, dependencies=signed)
    install_documented_answers(app, signed_prefix=f"/{definition.name}")
    return app


AppFactory = Callable[..., FastAPI]
