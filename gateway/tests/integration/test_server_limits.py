"""Issue 7, defect 6, at the gateway: the kit's server limits hold for every request it proxies, to a
service over HTTP and to one in its own process alike (embedded mode serves everything this way)."""

import json
import socket
import time

import pytest

from gateway.main import create_app
from quintet_shared.http_server import server_options

TIMEOUT = 0.5


@pytest.fixture(scope="module")
def limited(serve_module, tmp_path_factory, gateway_settings, make_fake_service, register_client):
    """A gateway served with short HTTP_* timeouts, and a client's app id."""
    readings = serve_module(make_fake_service("readings"))
    settings = gateway_settings(
        f"sqlite:///{tmp_path_factory.mktemp('limits') / 'gateway.db'}",
        http_header_timeout_seconds=TIMEOUT,
        http_body_timeout_seconds=TIMEOUT,
        http_keep_alive_seconds=TIMEOUT,
    )
    app = create_app(settings, upstreams={"readings": readings.url, "crm": make_fake_service("crm")}, migrate=True)
    gateway = serve_module(app, **server_options(settings))
    client = register_client(gateway.url, "limits", ["readings", "crm"])
    return gateway.port, client["app_id"]


def exchange(port: int, request: bytes) -> bytes:
    """Sends `request` and reads until the gateway closes the connection (at most 5 s)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request)
        received = b""
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            chunk = sock.recv(65536)
            if not chunk:
                return received
            received += chunk
    raise AssertionError(f"the gateway did not close the connection: {received[:300]!r}")


@pytest.mark.parametrize("service", ["readings", "crm"], ids=["over HTTP", "in process"])
def test_defect_6_a_body_that_stops_short_through_the_gateway_is_408(limited, service) -> None:
    port, app_id = limited
    head = f"POST /{service}/upload HTTP/1.1\r\nhost: test\r\nx-app-id: {app_id}\r\ncontent-length: 1000\r\n\r\n"
    response = exchange(port, head.encode() + b"x" * 100)
    assert response.startswith(b"HTTP/1.1 408 "), response
    assert json.loads(response.partition(b"\r\n\r\n")[2])["status"] == 408


@pytest.mark.parametrize("service", ["readings", "crm"], ids=["over HTTP", "in process"])
def test_defect_6_expect_100_continue_then_nothing_through_the_gateway_is_408(limited, service) -> None:
    port, app_id = limited
    head = (
        f"POST /{service}/upload HTTP/1.1\r\nhost: test\r\nx-app-id: {app_id}\r\n"
        "content-length: 1000\r\nexpect: 100-continue\r\n\r\n"
    )
    response = exchange(port, head.encode())
    assert response.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 408 "), response


def test_defect_6_a_huge_app_id_is_431_not_hashed(limited) -> None:
    port, _ = limited
    response = exchange(port, b"GET /readings/echo HTTP/1.1\r\nhost: test\r\nx-app-id: " + b"a" * 200_000 + b"\r\n\r\n")
    assert response.startswith(b"HTTP/1.1 431 "), response
