"""A worker process's own `/health/live` and `/health/ready`, for probes and `make up`."""

from fastapi import FastAPI

from quintet_shared.health import health_router
from quintet_shared.runtime import Runtime


def worker_health_app(runtime: Runtime) -> FastAPI:
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.include_router(health_router(lambda: runtime.engine, lambda: runtime.bus))
    return app
