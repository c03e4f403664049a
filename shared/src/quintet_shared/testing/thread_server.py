"""An ASGI app served for real by uvicorn on a free loopback port, in a thread with its own event loop.

For tests whose client must speak HTTP over a socket (timeouts, resets, retries): served as
`<component> serve` serves it (`server_options`), unless the test passes other uvicorn options.
"""

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from quintet_shared.http_server import server_options


class ThreadServer:
    def __init__(self, app: Any, **config: Any) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port: int = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        options = {"log_level": "warning", "lifespan": "on", **server_options(), **config}
        self.server = uvicorn.Server(uvicorn.Config(app, **options))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def start(self, timeout: float = 20.0) -> "ThreadServer":
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("test server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()


@contextmanager
def serving(app: Any, **config: Any) -> Iterator[ThreadServer]:
    """`with serving(app) as server:` ... `server.url`; stopped on the way out."""
    server = ThreadServer(app, **config).start()
    try:
        yield server
    finally:
        server.stop()
