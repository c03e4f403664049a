"""The request path end to end: real gateway, real services over loopback, real database."""

import time
import uuid

import httpx
import pytest

from quintet_shared import signing

PROBLEM = "application/problem+json"


def code() -> str:
    return f"c{uuid.uuid4().hex[:10]}"


@pytest.fixture
def client(stack, register_client):
    """A client allowed to use readings and crm (not marketplace)."""
    return register_client(stack.url, code(), ["readings", "crm"])


def get(stack, path: str, app_id: str | None = None, **headers: str) -> httpx.Response:
    if app_id is not None:
        headers["X-App-Id"] = app_id
    return httpx.get(stack.url + path, headers=headers, timeout=10)


def assert_problem(response: httpx.Response, status: int, detail: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert body["request_id"] == response.headers["x-request-id"]
    if detail is not None:
        assert body["detail"] == detail
    return body


def test_missing_app_id_is_401_with_the_exact_detail(stack):
    assert_problem(get(stack, "/readings/echo"), 401, "App-Id header is missing!")


def test_unknown_app_id_is_401(stack):
    assert_problem(get(stack, "/readings/echo", "no-such-app-id"), 401, "Not a valid Client App-Id")


def test_app_id_alias_header_is_accepted(stack, client):
    assert get(stack, "/readings/echo", **{"App-Id": client["app_id"]}).status_code == 200


@pytest.mark.parametrize(
    "names",
    [("X-App-Id", "X-App-Id"), ("App-Id", "App-Id"), ("X-App-Id", "App-Id"), ("App-Id", "X-App-Id")],
    ids=["two X-App-Id", "two App-Id", "X-App-Id then another App-Id", "App-Id then another X-App-Id"],
)
def test_defect_6_an_app_id_sent_twice_is_400(stack, client, names):
    """Issue 7, defect 6: the last of two X-App-Id headers won silently."""
    other = client["app_id"][::-1]  # any second id: which of the two counts is not guessed
    for second in (client["app_id"], other) if names[0] == names[1] else (other,):
        headers = [(names[0], client["app_id"]), (names[1], second)]
        response = httpx.get(f"{stack.url}/readings/echo", headers=headers, timeout=10)
        assert "once" in assert_problem(response, 400)["detail"]
    same = [("X-App-Id", client["app_id"]), ("App-Id", client["app_id"])]
    assert httpx.get(f"{stack.url}/readings/echo", headers=same, timeout=10).status_code == 200


def test_disabled_client_is_refused_at_once(stack, client, admin_headers):
    assert get(stack, "/readings/echo", client["app_id"]).status_code == 200
    patched = httpx.patch(f"{stack.url}/admin/clients/{client['code']}", json={"active": False}, headers=admin_headers)
    assert patched.status_code == 200
    assert_problem(get(stack, "/readings/echo", client["app_id"]), 401, "Not a valid Client App-Id")


def test_rotated_app_id_replaces_the_old_one(stack, client, admin_headers):
    assert get(stack, "/readings/echo", client["app_id"]).status_code == 200
    rotated = httpx.post(f"{stack.url}/admin/clients/{client['code']}/rotate-app-id", headers=admin_headers)
    new_app_id = rotated.json()["app_id"]
    assert_problem(get(stack, "/readings/echo", client["app_id"]), 401)
    assert get(stack, "/readings/echo", new_app_id).status_code == 200


def test_service_not_granted_is_403(stack, client):
    assert_problem(get(stack, "/marketplace/anything", client["app_id"]), 403)


def test_unknown_prefix_is_404(stack, client):
    assert_problem(get(stack, "/nowhere/at/all", client["app_id"]), 404)
    assert_problem(get(stack, "/", client["app_id"]), 404)


def test_upstream_down_is_502(stack, register_client):
    grant = register_client(stack.url, code(), ["marketplace"])
    assert_problem(get(stack, "/marketplace/echo", grant["app_id"]), 502)


def test_upstream_slower_than_the_timeout_is_504(serve, tmp_path, gateway_settings, make_fake_service, register_client):
    from gateway.main import create_app

    upstream = serve(make_fake_service("readings"))
    settings = gateway_settings(f"sqlite:///{tmp_path / 'gw.db'}", timeout_seconds=0.3)
    gateway = serve(create_app(settings, upstreams={"readings": upstream.url}, migrate=True))
    grant = register_client(gateway.url, code(), ["readings"])
    started = time.monotonic()
    response = httpx.get(f"{gateway.url}/readings/slow?seconds=2", headers={"X-App-Id": grant["app_id"]}, timeout=10)
    assert_problem(response, 504)
    assert time.monotonic() - started < 1.5


def test_over_the_rate_is_429_with_retry_after(stack, register_client):
    grant = register_client(stack.url, code(), ["readings"], rate_limit_per_minute=2)
    assert [get(stack, "/readings/echo", grant["app_id"]).status_code for _ in range(2)] == [200, 200]
    response = get(stack, "/readings/echo", grant["app_id"])
    assert_problem(response, 429)
    assert int(response.headers["retry-after"]) >= 1


def test_request_id_goes_through_and_comes_back(stack, client):
    response = get(stack, "/readings/echo", client["app_id"], **{"X-Request-Id": "trace-42"})
    seen = dict(response.json()["headers"])
    assert seen["x-request-id"] == "trace-42"
    assert response.headers["x-request-id"] == "trace-42"

    generated = get(stack, "/readings/echo", client["app_id"])
    assert dict(generated.json()["headers"])["x-request-id"] == generated.headers["x-request-id"] != ""


@pytest.mark.parametrize("service", ["readings", "crm"])
def test_service_sees_a_valid_signature_and_no_spoofed_headers(stack, client, service):
    spoofed = {
        "X-Client-Code": "someone-else",
        "X-Gateway-Signature": "forged",
        "X-Gateway-Timestamp": "1",
        "Proxy-Authorization": "Basic x",
        "TE": "trailers",
    }
    response = get(stack, f"/{service}/echo?b=2&a=%20x", client["app_id"], **spoofed)
    assert response.status_code == 200
    seen = response.json()
    headers = seen["headers"]
    names = [name for name, _ in headers]
    assert names.count("x-client-code") == names.count("x-gateway-signature") == 1
    assert not {"x-app-id", "proxy-authorization", "te"} & set(names)
    values = dict(headers)
    assert values["x-client-code"] == client["code"]
    assert seen["target"] == f"/{service}/echo?b=2&a=%20x"
    assert signing.is_valid(
        stack.state.settings.gateway_secret,
        values["x-gateway-signature"],
        timestamp=int(values["x-gateway-timestamp"]),
        now=time.time(),
        max_age_seconds=60,
        method="GET",
        target=seen["target"],
        client_code=values["x-client-code"],
        request_id=values["x-request-id"],
    )


@pytest.mark.parametrize("chunked", [False, True])
def test_request_bodies_pass_through(stack, client, chunked):
    payload = b"x" * 200_000
    content = iter([payload[:100_000], payload[100_000:]]) if chunked else payload
    response = httpx.post(
        f"{stack.url}/readings/upload", content=content, headers={"X-App-Id": client["app_id"]}, timeout=10
    )
    assert response.json()["bytes"] == len(payload)


@pytest.mark.parametrize("service", ["readings", "crm"])
def test_event_stream_arrives_as_it_is_produced(stack, client, service):
    key = uuid.uuid4().hex
    url = f"{stack.url}/{service}/events?key={key}"
    with httpx.stream("GET", url, headers={"X-App-Id": client["app_id"]}, timeout=10) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        chunks = response.iter_raw()
        first = next(chunks)
        upstream = getattr(stack, service).state.streams[key]
        # The service has not finished its response, yet the first event is already here.
        assert not upstream.finished.is_set()
        assert first.startswith(b"data: first")
        upstream.release.set()
        rest = b"".join(chunks)
    assert (first + rest).endswith(b"data: second\n\n")


def test_unrouted_paths_of_a_service_are_not_reachable(stack, client):
    # `/outside` exists on the service, but only its own prefix is routed.
    assert_problem(get(stack, "/outside", client["app_id"]), 404)
