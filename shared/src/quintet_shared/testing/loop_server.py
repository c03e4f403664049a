"""An ASGI app served for real by uvicorn on a free loopback port, in the test's own event loop.

For async tests whose app shares the loop with the test (an in-process bus, a runtime's tasks):
`async with serving_in_loop(app) as url:`. Tests that need the server on a loop of its own use
`thread_server.serving`.
"""

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn

from quintet_shared.http_server import server_options


@asynccontextmanager
async def serving_in_loop(app: Any) -> AsyncIterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on", **server_options()))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            await task  # raises what stopped it
            raise RuntimeError("test server stopped before it started")
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
