import json

import pytest

from gateway.dispatch import Dispatcher, first_segment


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple] = []

    async def front(self, scope, receive, send) -> None:
        self.calls.append(("front", scope["type"]))

    async def proxy(self, scope, receive, send, service) -> None:
        self.calls.append(("proxy", service))


def http(path: str, headers=()) -> dict:
    return {"type": "http", "path": path, "headers": list(headers), "method": "GET"}


async def call(dispatcher, scope) -> list[dict]:
    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.request", "body": b""}

    await dispatcher(scope, receive, send)
    return sent


@pytest.mark.parametrize(("path", "segment"), [("/", ""), ("/crm", "crm"), ("/crm/", "crm"), ("/crm/a/b", "crm")])
def test_first_segment(path, segment):
    assert first_segment(path) == segment


async def test_routes_by_prefix():
    recorder = Recorder()
    dispatcher = Dispatcher(recorder.front, recorder.proxy, {"crm", "readings"})
    for path in ("/crm/x", "/readings", "/admin/clients", "/health", "/metrics", "/openapi.json", "/docs"):
        await call(dispatcher, http(path))
    await call(dispatcher, {"type": "lifespan"})
    assert recorder.calls == [
        ("proxy", "crm"),
        ("proxy", "readings"),
        *[("front", "http")] * 5,
        ("front", "lifespan"),
    ]


async def test_anything_else_is_a_404_problem_keeping_the_request_id():
    recorder = Recorder()
    dispatcher = Dispatcher(recorder.front, recorder.proxy, {"crm"})
    start, body = await call(dispatcher, http("/crmx/a", [(b"x-request-id", b"r-1")]))
    assert start["status"] == 404
    assert (b"content-type", b"application/problem+json") in start["headers"]
    problem = json.loads(body["body"])
    assert problem["status"] == 404 and problem["request_id"] == "r-1"
    assert recorder.calls == []


def test_service_names_may_not_shadow_the_gateway_pages():
    with pytest.raises(ValueError, match="admin"):
        Dispatcher(Recorder().front, Recorder().proxy, {"admin"})
