"""The sandbox app: health, the provider listing, and every registered provider under /sandbox/<name>."""

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager

from fastapi import FastAPI

from quintet_shared.errors import install_problem_handlers
from quintet_shared.metrics import Metrics
from quintet_shared.middleware import RequestMiddleware
from sandbox.config import Settings
from sandbox.health import health_router
from sandbox.kit.abort import ConnectionKeeper
from sandbox.listing import listing_router
from sandbox.providers import REGISTERED, Provider, ProviderFactory, build_providers


def create_app(
    settings: Settings | None = None,
    runtime: object | None = None,
    *,
    providers: Sequence[ProviderFactory] | None = None,
) -> FastAPI:
    """Build the app. `runtime` is accepted for the factory signature every component shares; the
    sandbox has no database or bus to take from it. `providers` replaces the registry (tests)."""
    settings = settings or Settings()
    built = build_providers(settings, REGISTERED if providers is None else providers)
    app = FastAPI(title="Quintet sandbox", version="0.1.0", lifespan=_lifespan(built))
    app.state.settings = settings
    app.state.providers_started = False
    install_problem_handlers(app)
    metrics = Metrics("sandbox")
    app.add_middleware(RequestMiddleware, metrics=metrics, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(ConnectionKeeper)  # outermost of ours: it needs the server's own `receive`
    app.add_route("/metrics", metrics.endpoint(), include_in_schema=False)
    app.include_router(health_router())
    app.include_router(listing_router(built))
    for provider in built:
        app.include_router(provider.router, prefix=provider.prefix)
    return app


def _lifespan(providers: Sequence[Provider]) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The exit stack stops, in reverse order, every provider that started, even when a later one fails.
        async with AsyncExitStack() as stack:
            for provider in providers:
                for hook in provider.on_startup:
                    await hook()
                for hook in reversed(provider.on_shutdown):
                    stack.push_async_callback(hook)
            app.state.providers_started = True
            try:
                yield
            finally:
                app.state.providers_started = False

    return lifespan
