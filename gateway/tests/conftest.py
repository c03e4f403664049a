"""Real servers for the gateway's tests: uvicorn in background threads on free loopback ports."""

import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import uvicorn

from gateway.config import Settings
from quintet_shared.http_server import server_options

SECRET = "test-gateway-secret"
ADMIN_TOKEN = "test-admin-token"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


class ThreadServer:
    """An ASGI app served by uvicorn on 127.0.0.1 in a daemon thread (its own event loop)."""

    def __init__(self, app: Any, **config: Any) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        # Served as `<component> serve` serves (uvloop, the coalescing protocol), unless a test says otherwise.
        options = {"log_level": "warning", "lifespan": "on", **server_options(), **config}
        self.server = uvicorn.Server(uvicorn.Config(app, **options))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def start(self) -> "ThreadServer":
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("test server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()


def free_port() -> int:
    """A port nothing listens on (bound, then released): for an upstream that is down."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def serve_module() -> Iterator[Callable[..., ThreadServer]]:
    servers: list[ThreadServer] = []

    def serve(app: Any, **config: Any) -> ThreadServer:
        servers.append(ThreadServer(app, **config).start())
        return servers[-1]

    yield serve
    for server in reversed(servers):
        server.stop()


@pytest.fixture
def serve() -> Iterator[Callable[..., ThreadServer]]:
    servers: list[ThreadServer] = []

    def start(app: Any, **config: Any) -> ThreadServer:
        servers.append(ThreadServer(app, **config).start())
        return servers[-1]

    yield start
    for server in reversed(servers):
        server.stop()


def _settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "quintet_env": "test",
        "database_url": database_url,
        "gateway_secret": SECRET,
        "admin_token": ADMIN_TOKEN,
        "timeout_seconds": 5.0,
        "client_cache_seconds": 60.0,  # long on purpose: the admin API must invalidate, not wait
        "log_format": "text",
        **overrides,
    }
    return Settings(**values)


def _register(base_url: str, code: str, services: list[str], **fields: Any) -> dict[str, Any]:
    body = {"code": code, "name": code.title(), "services": services, **fields}
    response = httpx.post(f"{base_url}/admin/clients", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    return response.json()


# Test modules are imported in importlib mode and cannot import this file: helpers come as fixtures.


@pytest.fixture(scope="session")
def gateway_settings() -> Callable[..., Settings]:
    """Settings for a gateway under test: `gateway_settings(database_url, **overrides)`."""
    return _settings


@pytest.fixture(scope="session")
def admin_headers() -> dict[str, str]:
    return dict(ADMIN)


@pytest.fixture(scope="session")
def register_client() -> Callable[..., dict[str, Any]]:
    """`register_client(gateway_url, code, services, **fields)` → the admin API's 201 body."""
    return _register


@pytest.fixture(scope="session")
def unused_port() -> Callable[[], int]:
    return free_port
