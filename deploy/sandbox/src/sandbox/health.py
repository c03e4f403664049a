"""Health of the sandbox: it has no database or broker, so ready means every provider has started."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse


def health_router() -> APIRouter:
    router = APIRouter(prefix="/health", tags=["health"], include_in_schema=False)

    @router.get("/live")
    async def live() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/ready")
    async def ready(request: Request) -> JSONResponse:
        started = bool(getattr(request.app.state, "providers_started", False))
        return JSONResponse(
            {"status": "ok" if started else "unavailable", "checks": {"providers": started}},
            status_code=200 if started else 503,
        )

    return router
