"""The gateway's health: its own database, and the readiness of every service behind it."""

import asyncio
import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from gateway.http_upstream import HttpUpstream
from gateway.state import GatewayState
from gateway.upstreams import AsgiUpstream
from quintet_shared.health import database_ready

router = APIRouter(prefix="/health", tags=["health"])
# A 503 here is the same report as the 200, not a problem+json.
HEALTH_REPORT = {"application/json": {"schema": {"type": "object"}}}


def _state(request: Request) -> GatewayState:
    return request.app.state.gateway


async def upstream_health(upstream: HttpUpstream | AsgiUpstream, seconds: float) -> dict[str, Any]:
    """One service's /health/ready, summarised; never raises (a service down is a finding)."""
    try:
        async with asyncio.timeout(seconds):
            status, body = await upstream.get("/health/ready")
    except TimeoutError:
        return {"status": "unavailable", "error": f"no answer within {seconds:g} s"}
    except Exception as exc:
        return {"status": "unavailable", "error": exc.__class__.__name__}
    summary: dict[str, Any] = {"status": "ok" if status == 200 else "unavailable", "http_status": status}
    try:
        checks = json.loads(body).get("checks")
    except (ValueError, AttributeError):
        checks = None
    if checks is not None:
        summary["checks"] = checks
    return summary


@router.get(
    "",
    summary="Readiness of the gateway and of every service",
    responses={503: {"description": "The gateway's database or some service is not ready", "content": HEALTH_REPORT}},
)
async def health(request: Request) -> JSONResponse:
    state = _state(request)
    timeout = state.settings.health_timeout_seconds
    names = sorted(state.upstreams)
    database, *services = await asyncio.gather(
        asyncio.to_thread(database_ready, state.engine),
        *(upstream_health(state.upstreams[name], timeout) for name in names),
    )
    ok = database and all(service["status"] == "ok" for service in services)
    body = {
        "status": "ok" if ok else "unavailable",
        "gateway": {"status": "ok" if database else "unavailable", "checks": {"database": database}},
        "services": dict(zip(names, services, strict=True)),
    }
    return JSONResponse(body, status_code=200 if ok else 503)


@router.get("/live", summary="The gateway process is up")
async def live() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/ready",
    summary="The gateway itself can serve (its database answers)",
    responses={503: {"description": "The gateway's database does not answer", "content": HEALTH_REPORT}},
)
async def ready(request: Request) -> JSONResponse:
    database = await asyncio.to_thread(database_ready, _state(request).engine)
    body = {"status": "ok" if database else "unavailable", "checks": {"database": database}}
    return JSONResponse(body, status_code=200 if database else 503)
