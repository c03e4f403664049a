"""Small pieces of the ASGI protocol the gateway's request path speaks without a framework."""

import asyncio
import json
from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from quintet_shared.errors import PROBLEM_JSON, problem_body

Headers = list[tuple[bytes, bytes]]


async def send_problem(
    send: Send, status: int, detail: str, *, request_id: str, headers: Iterable[tuple[bytes, bytes]] = ()
) -> None:
    """A problem+json response, the same shape the FastAPI side produces."""
    body = problem_body(status, detail)
    body["request_id"] = request_id
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(payload)).encode()),
                (b"x-request-id", request_id.encode("latin-1")),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


async def send_redirect(send: Send, location: str, *, request_id: str) -> None:
    """303 See Other to `location` (a path of this site), without a body."""
    await send(
        {
            "type": "http.response.start",
            "status": 303,
            "headers": [
                (b"location", location.encode("ascii")),
                (b"content-length", b"0"),
                (b"cache-control", b"no-store"),
                (b"x-request-id", request_id.encode("latin-1")),
            ],
        }
    )
    await send({"type": "http.response.body", "body": b""})


async def wait_for_disconnect(receive: Receive) -> None:
    """Returns when the caller goes away. Only valid once the request body has been read."""
    while (await receive())["type"] != "http.disconnect":
        pass


async def call_asgi(app: ASGIApp, method: str, path: str, headers: Headers | None = None) -> tuple[int, bytes]:
    """One bodiless in-process request to an ASGI app, its response collected whole (for small
    documents only: health and OpenAPI)."""
    scope = _scope(method, path, headers)
    status = 500
    chunks: list[bytes] = []
    sent_request = False
    finished = asyncio.Event()

    async def receive() -> Message:
        nonlocal sent_request
        if not sent_request:
            sent_request = True
            return {"type": "http.request", "body": b"", "more_body": False}
        # Like a real server: the caller "disconnects" only once the response is done, so apps
        # that watch for disconnects (streaming responses) are not cut short.
        await finished.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                finished.set()

    await app(scope, receive, send)
    return status, b"".join(chunks)


def _scope(method: str, path: str, headers: Headers | None) -> Scope:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": headers or [(b"host", b"gateway.internal")],
        "client": ("127.0.0.1", 0),
        "server": ("gateway.internal", 80),
    }
