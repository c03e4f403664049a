"""Liveness and readiness: ready means the database answers and the bus is connected."""

import asyncio
from collections.abc import Callable

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.engine import Engine

from quintet_shared.bus import Bus


def database_ready(engine: Engine) -> bool:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False


def health_router(get_engine: Callable[[], Engine], get_bus: Callable[[], Bus | None]) -> APIRouter:
    router = APIRouter(prefix="/health", tags=["health"], include_in_schema=False)

    @router.get("/live")
    async def live() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/ready")
    async def ready() -> JSONResponse:
        bus = get_bus()
        checks = {
            "database": await asyncio.to_thread(database_ready, get_engine()),
            "bus": bus is not None and bus.is_ready(),
        }
        ok = all(checks.values())
        return JSONResponse({"status": "ok" if ok else "unavailable", "checks": checks}, status_code=200 if ok else 503)

    return router
