"""The proxy's decisions, with a fake service behind it."""

import hashlib
import json
import time

import pytest
from prometheus_client import CollectorRegistry

from gateway.clientcache import ClientCache, ClientGrant
from gateway.forwarding import Forward, UpstreamTimeout
from gateway.metrics import ProxyMetrics
from gateway.proxy import IncomingRequest, Proxy
from gateway.ratelimit import RateLimiter
from quintet_shared import signing

SECRET = "unit-secret"
APP_ID = b"the-app-id"


class FakeService:
    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.seen: list[Forward] = []

    async def forward(self, request, scope, receive, send) -> int:
        self.seen.append(request)
        if self.error:
            raise self.error
        await send({"type": "http.response.start", "status": 200, "headers": [(b"x-request-id", request.request_id)]})
        await send({"type": "http.response.body", "body": b"ok"})
        return 200


def make_proxy(service: FakeService, *, rate: int = 100, active: bool = True) -> Proxy:
    grant = ClientGrant(code="acme", services=frozenset({"crm"}), rate_limit_per_minute=rate, active=active)
    known = {hashlib.sha256(APP_ID).hexdigest(): grant}

    async def load(key: str):
        return known.get(key)

    return Proxy(
        secret=SECRET,
        upstreams={"crm": service, "readings": service},
        clients=ClientCache(load, ttl=60),
        limiter=RateLimiter(),
        metrics=ProxyMetrics(CollectorRegistry()),
    )


async def run(proxy: Proxy, service: str, headers: list, path: str = "/crm/x", query: bytes = b"") -> list[dict]:
    scope = {
        "type": "http",
        "method": "POST",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "headers": headers,
        "client": ("10.0.0.7", 5000),
        "scheme": "http",
    }
    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.request", "body": b""}

    await proxy(scope, receive, send, service)
    return sent


def problem(sent: list[dict]) -> tuple[int, dict, dict]:
    return sent[0]["status"], json.loads(sent[1]["body"]), dict(sent[0]["headers"])


async def test_missing_unknown_and_inactive_app_ids_are_401():
    status, body, _ = problem(await run(make_proxy(FakeService()), "crm", []))
    assert (status, body["detail"]) == (401, "App-Id header is missing!")
    status, body, _ = problem(await run(make_proxy(FakeService()), "crm", [(b"x-app-id", b"wrong")]))
    assert (status, body["detail"]) == (401, "Not a valid Client App-Id")
    status, body, _ = problem(await run(make_proxy(FakeService(), active=False), "crm", [(b"app-id", APP_ID)]))
    assert (status, body["detail"]) == (401, "Not a valid Client App-Id")


async def test_a_service_not_granted_is_403_and_over_the_rate_429():
    status, _, _ = problem(await run(make_proxy(FakeService()), "readings", [(b"x-app-id", APP_ID)]))
    assert status == 403
    proxy = make_proxy(FakeService(), rate=1)
    assert (await run(proxy, "crm", [(b"x-app-id", APP_ID)]))[0]["status"] == 200
    status, _body, headers = problem(await run(proxy, "crm", [(b"x-app-id", APP_ID)]))
    assert status == 429 and headers[b"retry-after"] == b"60"


async def test_forwarded_headers_are_cleaned_and_signed():
    service = FakeService()
    incoming = [
        (b"x-app-id", APP_ID),
        (b"x-request-id", b"req-9"),
        (b"x-client-code", b"evil"),
        (b"x-gateway-signature", b"forged"),
        (b"connection", b"keep-alive"),
        (b"transfer-encoding", b"chunked"),
        (b"proxy-authorization", b"x"),
        (b"content-type", b"text/plain"),
    ]
    await run(make_proxy(service), "crm", incoming, path="/crm/a b", query=b"x=1")
    [forward] = service.seen
    names = [name for name, _ in forward.headers]
    assert names.count(b"x-client-code") == 1 and names.count(b"x-gateway-signature") == 1
    assert not {b"x-app-id", b"connection", b"transfer-encoding", b"proxy-authorization"} & set(names)
    headers = {name.decode(): value.decode() for name, value in forward.headers}
    assert headers["x-client-code"] == "acme" and headers["x-request-id"] == "req-9"
    assert headers["content-type"] == "text/plain"
    assert forward.has_body  # chunked
    assert signing.is_valid(
        SECRET,
        headers["x-gateway-signature"],
        timestamp=int(headers["x-gateway-timestamp"]),
        now=time.time(),
        max_age_seconds=60,
        method="POST",
        target="/crm/a b?x=1",
        client_code="acme",
        request_id="req-9",
    )


async def test_upstream_failures_become_problems_with_the_request_id():
    sent = await run(make_proxy(FakeService(UpstreamTimeout("slow"))), "crm", [(b"x-app-id", APP_ID)])
    status, body, headers = problem(sent)
    assert status == 504 and body["request_id"] == headers[b"x-request-id"].decode()


@pytest.mark.parametrize(
    ("headers", "has_body"),
    [([], False), ([(b"content-length", b"0")], False), ([(b"content-length", b"5")], True)],
)
def test_body_detection(headers, has_body):
    assert IncomingRequest(headers).has_body is has_body


async def test_a_registry_failure_is_503_with_retry_after_not_a_crash():
    async def broken(_key: str):
        raise OSError("database is down")

    proxy = make_proxy(FakeService())
    proxy._clients = ClientCache(broken, ttl=60)
    status, body, headers = problem(await run(proxy, "crm", [(b"x-app-id", APP_ID)]))
    assert status == 503 and "registry" in body["detail"]
    assert headers[b"retry-after"] == b"2"


def test_a_length_beside_chunked_framing_is_not_passed_on():
    incoming = IncomingRequest([(b"transfer-encoding", b"chunked"), (b"content-length", b"5"), (b"accept", b"*/*")])
    assert incoming.has_body and incoming.forward == [(b"accept", b"*/*")]
