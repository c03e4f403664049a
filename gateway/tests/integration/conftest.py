"""A stand-in service (the real services are not the gateway's to test) and a gateway in front of it."""

import asyncio
import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from gateway.main import create_app
from gateway.state import GatewayState
from quintet_shared.context import request_target


class Stream:
    """Lets a test hold an event stream open: the service sends the second event only once released."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.finished = threading.Event()


def fake_service(name: str) -> FastAPI:
    app = FastAPI(title=f"Fake {name}")
    app.state.streams = {}
    router = APIRouter(prefix=f"/{name}")
    _add_echo_and_timing(router)
    _add_streams(router, app.state.streams)

    # Same component name in every fake service, different shape: the merged docs must keep both.
    Item = type("Item", (BaseModel,), {"__annotations__": {f"{name}_field": str}})

    @router.get("/items/{item_id}", response_model=Item)
    async def item(item_id: str) -> Any:
        return {f"{name}_field": item_id}

    @app.get("/outside")
    async def outside() -> dict[str, str]:
        return {"reachable": "not through the gateway"}

    @app.get("/health/ready")
    async def ready() -> dict[str, Any]:
        return {"status": "ok", "checks": {"database": True}}

    app.include_router(router)
    return app


def _add_echo_and_timing(router: APIRouter) -> None:
    async def echo(request: Request) -> dict[str, Any]:
        body = await request.body()
        return {
            "method": request.method,
            "target": request_target(request),
            "headers": [[key, value] for key, value in request.headers.items()],
            "body_length": len(body),
        }

    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):  # one route each: distinct operation ids
        router.add_api_route("/echo", echo, methods=[method], name=f"echo_{method.lower()}")

    @router.get("/slow")
    async def slow(seconds: float) -> dict[str, float]:
        await asyncio.sleep(seconds)
        return {"slept": seconds}

    @router.post("/upload")
    async def upload(request: Request) -> dict[str, Any]:
        digest, size = hashlib.sha256(), 0
        async for chunk in request.stream():
            digest.update(chunk)
            size += len(chunk)
        return {"bytes": size, "sha256": digest.hexdigest()}


def _add_streams(router: APIRouter, streams: dict[str, Stream]) -> None:
    @router.get("/events")
    async def events(key: str) -> StreamingResponse:
        stream = streams.setdefault(key, Stream())

        async def produce():
            yield b"data: first\n\n"
            for _ in range(500):  # at most 5 s: a test that never releases still ends
                if stream.release.is_set():
                    break
                await asyncio.sleep(0.01)
            stream.finished.set()
            yield b"data: second\n\n"

        return StreamingResponse(produce(), media_type="text/event-stream")


@dataclass
class Stack:
    url: str
    state: GatewayState
    readings: FastAPI  # served over HTTP
    crm: FastAPI  # embedded: an ASGI app in the gateway's process


@pytest.fixture(scope="module")
def stack(serve_module, tmp_path_factory, gateway_settings, unused_port) -> Stack:
    """A gateway with one service over HTTP, one in-process, and one that is down."""
    readings, crm = fake_service("readings"), fake_service("crm")
    readings_server = serve_module(readings)
    database = tmp_path_factory.mktemp("gateway") / "gateway.db"
    upstreams = {
        "readings": readings_server.url,
        "crm": crm,
        "marketplace": f"http://127.0.0.1:{unused_port()}",
    }
    app = create_app(gateway_settings(f"sqlite:///{database}"), upstreams=upstreams, migrate=True)
    gateway = serve_module(app)
    return Stack(url=gateway.url, state=app.state, readings=readings, crm=crm)


@pytest.fixture(scope="session")
def make_fake_service() -> Callable[[str], FastAPI]:
    return fake_service
