"""Real servers for the gateway's tests: uvicorn in background threads on free loopback ports."""

import socket
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from gateway.config import Settings
from quintet_shared.testing.thread_server import ThreadServer

SECRET = "test-gateway-secret"
ADMIN_TOKEN = "test-admin-token"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


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
