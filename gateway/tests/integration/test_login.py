"""Browser sign-in end to end: the real gateway, its registry, and stand-in services over HTTP and in-process."""

import time
import uuid

import httpx
import pytest

from gateway.registry import hash_app_id
from gateway.sessions import SessionCodec

PROBLEM = "application/problem+json"


def code() -> str:
    return f"s{uuid.uuid4().hex[:10]}"


@pytest.fixture
def client(stack, register_client):
    return register_client(stack.url, code(), ["readings", "crm"])


def browser(stack) -> httpx.Client:
    return httpx.Client(base_url=stack.url, follow_redirects=False, timeout=10)


def sign_in(stack, app_id: str, next_path: str | None = None) -> httpx.Client:
    """A browser-like client holding the session cookies of `app_id`."""
    session = browser(stack)
    form = {"app_id": app_id} if next_path is None else {"app_id": app_id, "next": next_path}
    response = session.post("/login", data=form)
    assert response.status_code == 303, response.text
    return session


def assert_problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    return body


def set_cookies(response: httpx.Response) -> dict[str, str]:
    return {value.split("=", 1)[0]: value for value in response.headers.get_list("set-cookie")}


def test_the_form_is_a_plain_html_page_that_keeps_a_local_next(stack):
    response = httpx.get(f"{stack.url}/login", params={"next": "/crm/dashboard?x=1&y='2'"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    page = response.text
    assert "<form method='post' action='/login'>" in page
    assert "name='app_id'" in page
    assert "value='/crm/dashboard?x=1&amp;y=&#x27;2&#x27;'" in page  # escaped, never raw


@pytest.mark.parametrize(
    "next_path",
    ["//evil.example", "/\\evil.example", "https://evil.example/", "javascript:alert(1)", "crm", "/a b", "/\t/x"],
)
def test_a_next_that_leaves_the_site_is_refused(stack, client, next_path):
    assert_problem(httpx.get(f"{stack.url}/login", params={"next": next_path}), 422)
    form = {"app_id": client["app_id"], "next": next_path}
    response = httpx.post(f"{stack.url}/login", data=form)
    assert assert_problem(response, 422)["errors"][0]["loc"] == ["next"]
    assert "set-cookie" not in response.headers


def test_signing_in_sets_a_strict_http_only_cookie_for_eight_hours_and_redirects(stack, client):
    response = browser(stack).post("/login", data={"app_id": client["app_id"], "next": "/crm/dashboard"})
    assert response.status_code == 303
    assert response.headers["location"] == "/crm/dashboard"
    cookies = set_cookies(response)
    session = cookies["quintet_session"]
    for flag in ("HttpOnly", "SameSite=Strict", "Max-Age=28800", "Path=/"):
        assert flag in session
    assert "Secure" not in session  # plain http, and the setting is off
    assert "HttpOnly" not in cookies["quintet_csrf"]  # the page's script reads it
    assert "SameSite=Strict" in cookies["quintet_csrf"]
    assert browser(stack).post("/login", data={"app_id": client["app_id"]}).headers["location"] == "/login"


@pytest.mark.parametrize(
    ("form", "status"),
    [({"app_id": "wrong"}, 401), ({"next": "/login"}, 422), ({"app_id": ""}, 422), ({"app_id": "x" * 300}, 422)],
    ids=["unknown app id", "no app id", "empty app id", "too long"],
)
def test_bad_sign_ins_are_problems(stack, form, status):
    response = httpx.post(f"{stack.url}/login", data=form)
    assert_problem(response, status)
    assert "set-cookie" not in response.headers


def test_sign_in_wants_a_form_from_this_site(stack, client):
    assert_problem(httpx.post(f"{stack.url}/login", json={"app_id": client["app_id"]}), 415)
    foreign = {"Origin": "https://evil.example"}
    assert_problem(httpx.post(f"{stack.url}/login", data={"app_id": client["app_id"]}, headers=foreign), 403)
    own = {"Origin": stack.url}
    assert httpx.post(f"{stack.url}/login", data={"app_id": client["app_id"]}, headers=own).status_code == 303


def test_a_disabled_client_cannot_sign_in(stack, client, admin_headers):
    httpx.patch(f"{stack.url}/admin/clients/{client['code']}", json={"active": False}, headers=admin_headers)
    assert_problem(httpx.post(f"{stack.url}/login", data={"app_id": client["app_id"]}), 401)


@pytest.mark.parametrize("service", ["readings", "crm"])
def test_the_cookie_counts_as_the_client_and_stays_at_the_gateway(stack, client, service):
    session = sign_in(stack, client["app_id"])
    session.cookies.set("theme", "dark")
    response = session.get(f"/{service}/echo")
    assert response.status_code == 200, response.text
    seen = dict(response.json()["headers"])
    assert seen["x-client-code"] == client["code"]
    # The service sees the caller's own cookies, never the gateway's credentials.
    assert "quintet_" not in seen.get("cookie", "")
    assert "theme=dark" in seen.get("cookie", "")


def test_the_signed_in_page_names_the_client(stack, client):
    page = sign_in(stack, client["app_id"]).get("/login")
    assert f"<span id='client'>{client['code']}</span>" in page.text


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_a_state_changing_request_by_cookie_needs_the_csrf_token(stack, client, method):
    session = sign_in(stack, client["app_id"])
    body = assert_problem(session.request(method, "/readings/echo", json={"a": 1}), 403)
    assert "CSRF" in body["detail"]
    wrong = session.request(method, "/readings/echo", json={"a": 1}, headers={"X-CSRF-Token": "x" * 43})
    assert_problem(wrong, 403)
    token = session.cookies["quintet_csrf"]
    done = session.request(method, "/readings/echo", json={"a": 1}, headers={"X-CSRF-Token": token})
    assert done.status_code == 200, done.text
    assert "x-csrf-token" not in dict(done.json()["headers"])


def test_a_token_is_good_with_its_own_session_only(stack, client):
    first, second = sign_in(stack, client["app_id"]), sign_in(stack, client["app_id"])
    other_token = second.cookies["quintet_csrf"]
    assert_problem(first.post("/readings/echo", headers={"X-CSRF-Token": other_token}), 403)


def test_a_form_may_carry_the_token_as_a_field_and_reaches_the_service_whole(stack, client):
    session = sign_in(stack, client["app_id"])
    token = session.cookies["quintet_csrf"]
    content = f"name=Caf%C3%A9&csrf_token={token}&note={'x' * 5000}"
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    response = session.post("/crm/echo", content=content, headers=form)
    assert response.status_code == 200, response.text
    assert response.json()["body_length"] == len(content)
    assert_problem(session.post("/crm/echo", content="name=x&csrf_token=nope", headers=form), 403)
    twice = f"csrf_token={token}&csrf_token={token}"
    assert_problem(session.post("/crm/echo", content=twice, headers=form), 403)


def test_safe_methods_need_no_token(stack, client):
    session = sign_in(stack, client["app_id"])
    assert session.get("/readings/echo").status_code == 200
    assert session.head("/readings/echo").status_code in (200, 405)


def test_the_app_id_header_wins_and_a_cookie_of_another_client_is_a_conflict(stack, client, register_client):
    session = sign_in(stack, client["app_id"])
    same = session.post("/readings/echo", headers={"X-App-Id": client["app_id"]})
    assert same.status_code == 200  # a header cannot be sent by another site's page: no token needed
    other = register_client(stack.url, code(), ["readings"])
    conflict = session.get("/readings/echo", headers={"X-App-Id": other["app_id"]})
    assert "different clients" in assert_problem(conflict, 400)["detail"]
    logged_out = browser(stack)
    stale = {"Cookie": "quintet_session=v1.garbage", "X-App-Id": other["app_id"]}
    assert logged_out.get("/readings/echo", headers=stale).status_code == 200  # a dead cookie is ignored


def test_two_different_session_cookies_are_refused(stack, client):
    first, second = sign_in(stack, client["app_id"]), sign_in(stack, client["app_id"])
    both = f"quintet_session={first.cookies['quintet_session']}; quintet_session={second.cookies['quintet_session']}"
    assert_problem(browser(stack).get("/readings/echo", headers={"Cookie": both}), 400)


def test_disabling_or_rotating_the_client_ends_its_sessions(stack, client, admin_headers, register_client):
    session = sign_in(stack, client["app_id"])
    assert session.get("/readings/echo").status_code == 200
    httpx.post(f"{stack.url}/admin/clients/{client['code']}/rotate-app-id", headers=admin_headers)
    assert "sign in again" in assert_problem(session.get("/readings/echo"), 401)["detail"]

    other = register_client(stack.url, code(), ["readings"])
    session = sign_in(stack, other["app_id"])
    httpx.patch(f"{stack.url}/admin/clients/{other['code']}", json={"active": False}, headers=admin_headers)
    assert_problem(session.get("/readings/echo"), 401)


def test_expiry_and_forgery_are_checked_by_the_server(stack, client):
    settings = stack.state.settings
    codec = SessionCodec(settings.session_secret, max_age_seconds=settings.session_max_age_seconds)
    live = sign_in(stack, client["app_id"]).cookies["quintet_session"]
    grant_hash = hash_app_id(client["app_id"])
    expired, _ = codec.issue(client=client["code"], app_id_hash=grant_hash, now=time.time() - 9 * 3600)
    forged = live.replace(client["code"], "someoneelse")
    foreign, _ = SessionCodec("another-secret", max_age_seconds=3600).issue(
        client=client["code"], app_id_hash=grant_hash, now=time.time()
    )
    for value in (expired, forged, foreign, "", "v1." + "a" * 600):
        response = browser(stack).get("/readings/echo", headers={"Cookie": f"quintet_session={value}"})
        assert_problem(response, 401)


def test_signing_out_clears_the_cookies_and_redirects(stack, client):
    session = sign_in(stack, client["app_id"])
    response = session.post("/logout", data={"next": "/login?bye=1"})
    assert response.status_code == 303
    assert response.headers["location"] == "/login?bye=1"
    cleared = set_cookies(response)
    assert "Max-Age=0" in cleared["quintet_session"] and "Max-Age=0" in cleared["quintet_csrf"]
    assert_problem(browser(stack).post("/logout", data={"next": "//evil.example"}), 422)
    assert_problem(browser(stack).post("/logout", headers={"Origin": "http://evil.example"}), 403)
    assert browser(stack).post("/logout").headers["location"] == "/login"


NAVIGATION = {"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}


def test_a_browser_opening_a_page_unsigned_is_sent_to_sign_in_and_back(stack, client):
    response = browser(stack).get("/crm/echo?a=1&b=x", headers=NAVIGATION)
    assert response.status_code == 303
    location = response.headers["location"]
    assert location == "/login?next=%2Fcrm%2Fecho%3Fa%3D1%26b%3Dx"
    assert "value='/crm/echo?a=1&amp;b=x'" in httpx.get(stack.url + location).text
    stale = browser(stack).get("/crm/echo", headers={**NAVIGATION, "Cookie": "quintet_session=v1.old"})
    assert stale.status_code == 303
    session = sign_in(stack, client["app_id"], next_path="/crm/echo?a=1&b=x")
    assert session.get("/crm/echo?a=1&b=x", headers=NAVIGATION).status_code == 200


@pytest.mark.parametrize(
    ("method", "headers"),
    [
        ("GET", {}),  # an API client
        ("GET", {"Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty"}),  # a page's script
        ("GET", {"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "iframe"}),
        ("POST", NAVIGATION),  # a form: its data would be lost on the way
    ],
)
def test_anything_else_unsigned_is_still_401(stack, method, headers):
    assert_problem(browser(stack).request(method, "/crm/echo", headers=headers), 401)
