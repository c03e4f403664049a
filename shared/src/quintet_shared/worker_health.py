"""A worker process's own `/health/live`, `/health/ready` and `/metrics`, for probes, `make up`
and Prometheus (the bus, job and schedule counters live in the worker)."""

from fastapi import FastAPI

from quintet_shared.health import health_router
from quintet_shared.metrics import Metrics
from quintet_shared.runtime import Runtime


def worker_health_app(runtime: Runtime, metrics: Metrics) -> FastAPI:
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.include_router(health_router(lambda: runtime.engine, lambda: runtime.bus))
    app.add_route("/metrics", metrics.endpoint(), include_in_schema=False)
    return app
