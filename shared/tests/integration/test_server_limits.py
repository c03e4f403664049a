"""Issue 7, defect 6: no limits on slow or huge requests. The kit's server (every component's) now
holds each client to HTTP_MAX_HEADER_BYTES, HTTP_MAX_HEADER_LINE_BYTES, HTTP_HEADER_TIMEOUT_SECONDS,
HTTP_BODY_TIMEOUT_SECONDS, HTTP_KEEP_ALIVE_SECONDS and HTTP_MAX_CONNECTIONS.

Real sockets against uvicorn run with `server_options`, on a free port, with short timeouts set
through the settings; every loop and every wait is bounded.
"""

import json
import select
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import psutil
import pytest

from quintet_shared.http_server import server_options
from quintet_shared.settings import ComponentSettings
from quintet_shared.testing.thread_server import ThreadServer

TIMEOUT = 0.5  # the header, body and keep-alive timeouts of the server under test
WAIT = 5.0  # the longest any socket in these tests waits for anything


async def app(scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
    """GET answers at once; POST reads the whole body first and answers its length."""
    if scope["type"] != "http":
        return
    size = 0
    if scope["method"] == "POST":
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            size += len(message.get("body", b""))
            more = message.get("more_body", False)
    body = json.dumps({"received": size}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class Server(ThreadServer):
    def __init__(self, **settings: Any) -> None:
        values = {
            "http_header_timeout_seconds": TIMEOUT,
            "http_body_timeout_seconds": TIMEOUT,
            "http_keep_alive_seconds": TIMEOUT,
            **settings,
        }
        super().__init__(app, lifespan="off", **server_options(ComponentSettings(**values)))
        self.address = ("127.0.0.1", self.port)
        self.start()

    def connect(self) -> socket.socket:
        return socket.create_connection(self.address, timeout=WAIT)


@pytest.fixture
def serve() -> Iterator[Callable[..., Server]]:
    servers: list[Server] = []

    def start(**settings: Any) -> Server:
        servers.append(Server(**settings))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def server(serve: Callable[..., Server]) -> Server:
    return serve()


def read_until_closed(client: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (within WAIT seconds)."""
    received = b""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        try:
            chunk = client.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            return received
        received += chunk
    raise AssertionError(f"the server did not close the connection; received {received[:200]!r}")


def status_of(response: bytes) -> int:
    return int(response.split(b" ", 2)[1])


def problem_of(response: bytes) -> dict[str, Any]:
    head, _, body = response.partition(b"\r\n\r\n")
    assert b"content-type: application/problem+json" in head.lower(), head
    assert b"connection: close" in head.lower(), head
    problem: dict[str, Any] = json.loads(body)
    assert problem["request_id"]
    return problem


def test_defect_6_half_a_header_is_answered_408_and_closed(server: Server) -> None:
    clients = [server.connect() for _ in range(50)]
    started = time.monotonic()
    for client in clients:
        client.sendall(b"GET / HTTP/1.1\r\nhost: test\r\nx-half: ")
    for client in clients:
        response = read_until_closed(client)
        assert status_of(response) == 408, response
        assert problem_of(response)["status"] == 408
        client.close()
    assert TIMEOUT <= time.monotonic() - started < WAIT


def test_defect_6_a_head_sent_a_byte_at_a_time_still_has_one_deadline(server: Server) -> None:
    client = server.connect()
    started = time.monotonic()
    client.sendall(b"GET / HTTP/1.1\r\nhost: test\r\nx-slow: ")
    while not select.select([client], [], [], 0.05)[0]:  # a byte every 50 ms until the server answers
        assert time.monotonic() - started < WAIT, "no answer"
        client.sendall(b"a")
    answered = time.monotonic() - started
    response = read_until_closed(client)
    assert status_of(response) == 408, response
    assert TIMEOUT <= answered < 4 * TIMEOUT  # a trickle that reset the deadline would last WAIT
    client.close()


def test_defect_6_half_a_body_is_answered_408(server: Server) -> None:
    clients = [server.connect() for _ in range(50)]
    for client in clients:
        client.sendall(b"POST /upload HTTP/1.1\r\nhost: test\r\ncontent-length: 100\r\n\r\n" + b"x" * 10)
    for client in clients:
        response = read_until_closed(client)
        assert status_of(response) == 408, response
        assert "body" in problem_of(response)["detail"]
        client.close()


def test_defect_6_a_body_that_keeps_coming_is_not_cut_off(server: Server) -> None:
    client = server.connect()
    client.sendall(b"POST /upload HTTP/1.1\r\nhost: test\r\ncontent-length: 8\r\n\r\n")
    for _ in range(8):  # slower than the timeout in all, much faster between two pieces
        time.sleep(TIMEOUT / 5)
        client.sendall(b"x")
    response = client.recv(65536)
    assert status_of(response) == 200 and response.endswith(b'{"received": 8}'), response
    client.close()


def test_defect_6_expect_100_continue_then_nothing_is_answered_408(server: Server) -> None:
    client = server.connect()
    client.sendall(b"POST /upload HTTP/1.1\r\nhost: test\r\ncontent-length: 5\r\nexpect: 100-continue\r\n\r\n")
    response = read_until_closed(client)
    assert response.startswith(b"HTTP/1.1 100 Continue\r\n\r\n"), response
    final = response.removeprefix(b"HTTP/1.1 100 Continue\r\n\r\n")
    assert status_of(final) == 408 and problem_of(final)["status"] == 408
    client.close()


def test_defect_6_a_64_mb_header_is_refused_431_without_being_read(server: Server) -> None:
    process = psutil.Process()
    before = process.memory_info().rss
    client = server.connect()
    client.sendall(b"GET / HTTP/1.1\r\nhost: test\r\nx-app-id: ")
    piece = b"a" * 65536
    sent = 0
    with pytest.raises(OSError):  # the server has closed: the rest cannot be sent
        while sent < 64 * 1024 * 1024:
            client.sendall(piece)
            sent += len(piece)
    response = read_until_closed(client)
    assert status_of(response) == 431, response
    assert "32768 bytes" in problem_of(response)["detail"]
    assert sent < 16 * 1024 * 1024  # what the kernel's buffers took before the server closed
    assert process.memory_info().rss - before < 20 * 1024 * 1024
    client.close()


@pytest.mark.parametrize(
    ("head", "why"),
    [
        (b"x-long: " + b"a" * 9000, "one line over HTTP_MAX_HEADER_LINE_BYTES"),
        (b"".join(b"x-many-%d: %b\r\n" % (n, b"a" * 1000) for n in range(40))[:-2], "all over HTTP_MAX_HEADER_BYTES"),
        (None, "a request line over HTTP_MAX_HEADER_LINE_BYTES"),
    ],
)
def test_defect_6_a_head_over_a_limit_in_one_piece_is_refused_431(server: Server, head: bytes | None, why: str) -> None:
    client = server.connect()
    if head is None:
        client.sendall(b"GET /?q=" + b"a" * 9000 + b" HTTP/1.1\r\nhost: test\r\n\r\n")
    else:
        client.sendall(b"GET / HTTP/1.1\r\nhost: test\r\n" + head + b"\r\n\r\n")
    response = read_until_closed(client)
    assert status_of(response) == 431, (why, response)
    client.close()


def test_defect_6_a_head_within_the_limits_is_served(server: Server) -> None:
    client = server.connect()
    headers = b"".join(b"x-fine-%d: %b\r\n" % (n, b"a" * 4000) for n in range(6))
    client.sendall(b"GET / HTTP/1.1\r\nhost: test\r\n" + headers + b"\r\n")
    assert status_of(client.recv(65536)) == 200
    client.close()


def test_defect_6_an_idle_connection_is_closed_after_the_keep_alive_time(server: Server) -> None:
    served, silent = server.connect(), server.connect()
    served.sendall(b"GET / HTTP/1.1\r\nhost: test\r\n\r\n")
    assert status_of(served.recv(65536)) == 200
    started = time.monotonic()
    assert read_until_closed(served) == b""  # closed without a word, as between any two requests
    assert read_until_closed(silent) == b""  # a connection that never sent a request too
    assert time.monotonic() - started < WAIT
    served.close()
    silent.close()


def test_a_connection_idle_as_long_as_clients_keep_one_is_still_served(serve: Callable[..., Server]) -> None:
    """httpx keeps an idle connection 5 s for reuse (aiohttp 15 s): a server that closes one at
    the same moment races the client's next request on it, which then fails without an answer."""
    default = ComponentSettings.model_fields["http_keep_alive_seconds"].default
    server = serve(http_keep_alive_seconds=default)
    client = server.connect()
    client.sendall(b"GET / HTTP/1.1\r\nhost: test\r\n\r\n")
    assert status_of(client.recv(65536)) == 200
    time.sleep(6)  # past httpx's 5 s
    client.sendall(b"GET / HTTP/1.1\r\nhost: test\r\n\r\n")
    assert status_of(client.recv(65536)) == 200
    client.close()


def test_defect_6_connections_over_the_cap_are_refused_503(serve: Callable[..., Server]) -> None:
    server = serve(http_max_connections=20, http_keep_alive_seconds=WAIT * 2)
    held = [server.connect() for _ in range(20)]
    extra = server.connect()
    extra.sendall(b"GET / HTTP/1.1\r\nhost: test\r\n\r\n")
    response = read_until_closed(extra)
    assert status_of(response) == 503 and b"retry-after: 1" in response.lower(), response
    assert problem_of(response)["status"] == 503
    extra.close()
    for client in held[:5]:
        client.close()
    deadline = time.monotonic() + WAIT
    while True:  # the server notices the closed ones as soon as it runs again
        again = server.connect()
        again.sendall(b"GET / HTTP/1.1\r\nhost: test\r\n\r\n")
        status = status_of(again.recv(65536))
        again.close()
        if status == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert status == 200
    for client in held[5:]:
        client.close()


def test_defect_6_a_request_that_is_not_http_is_answered_with_a_problem(server: Server) -> None:
    client = server.connect()
    client.sendall(b"NOT HTTP AT ALL\r\n\r\n")
    response = read_until_closed(client)
    assert status_of(response) == 400 and problem_of(response)["status"] == 400
    client.close()
