"""The gateway's composition root: `create_app` builds the ASGI app that uvicorn serves."""

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.types import ASGIApp

from gateway import admin_api, health, login_api, openapi
from gateway.config import Settings
from gateway.dispatch import Dispatcher
from gateway.state import GatewayState, RuntimeLike
from quintet_shared.errors import install_problem_handlers
from quintet_shared.middleware import RequestMiddleware
from quintet_shared.openapi_answers import install_documented_answers


def create_front(state: GatewayState) -> FastAPI:
    """The gateway's own pages (admin, health, metrics, docs); its lifespan starts the gateway."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await state.start()
        try:
            yield
        finally:
            await state.close()

    # The merged document and the docs page are served by openapi.router instead.
    app = FastAPI(title="Quintet gateway", version="1.0.0", lifespan=lifespan, openapi_url=None, docs_url=None)
    app.state.gateway = state
    app.state.openapi_cache = openapi.MergedDocument(state.settings.openapi_cache_seconds)
    install_problem_handlers(app)
    app.add_middleware(RequestMiddleware, metrics=state.metrics, max_body_bytes=state.settings.max_body_bytes)
    app.include_router(admin_api.router)
    app.include_router(health.router)
    app.include_router(openapi.router)
    app.include_router(login_api.router)
    app.add_route("/metrics", state.metrics.endpoint(), include_in_schema=False)
    install_documented_answers(app)
    return app


def create_app(
    settings: Settings | None = None,
    runtime: RuntimeLike | None = None,
    upstreams: "Mapping[str, str | ASGIApp] | None" = None,
    *,
    migrate: bool = False,
) -> Dispatcher:
    """The gateway as one ASGI app. `upstreams` maps each service to a base URL or, in embedded
    mode, to its ASGI app (default: GATEWAY_UPSTREAMS). `migrate` upgrades the database at startup
    (embedded mode); distributed mode runs `gateway migrate` instead."""
    settings = settings or Settings()
    targets = dict(upstreams) if upstreams is not None else dict(settings.upstreams)
    state = GatewayState(settings, runtime=runtime, targets=targets, run_migrations=migrate)
    return Dispatcher(create_front(state), state.proxy, state.services, state=state)
