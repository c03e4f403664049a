"""The session cookie and its CSRF token, with the clock passed in."""

import pytest

from gateway.login_api import local_path
from gateway.sessions import CookieHeader, SessionCodec, cleared_cookies, session_cookies
from quintet_shared.errors import Problem

NOW = 1_800_000_000.0


def codec(secret: str = "k") -> SessionCodec:
    return SessionCodec(secret, max_age_seconds=8 * 3600)


def test_a_cookie_reads_back_until_it_expires():
    value, session = codec().issue(client="acme", app_id_hash="h1", now=NOW)
    assert codec().read(value, now=NOW + 8 * 3600 - 1) == session
    assert session.client == "acme" and session.expires_at == NOW + 8 * 3600
    assert codec().read(value, now=NOW + 8 * 3600) is None


@pytest.mark.parametrize(
    "tamper",
    [
        lambda v: v.replace("acme", "acmf"),
        lambda v: v[:-2] + ("AA" if not v.endswith("AA") else "BB"),
        lambda v: "v2" + v[2:],
        lambda v: v + ".x",
        lambda v: "",
        lambda v: v.rpartition(".")[0],
    ],
)
def test_a_changed_cookie_is_refused(tamper):
    value, _ = codec().issue(client="acme", app_id_hash="h1", now=NOW)
    assert codec().read(tamper(value), now=NOW) is None


def test_another_secret_reads_nothing_and_tokens_are_per_session():
    value, session = codec().issue(client="acme", app_id_hash="h1", now=NOW)
    assert codec("other").read(value, now=NOW) is None
    _, second = codec().issue(client="acme", app_id_hash="h1", now=NOW)
    assert codec().csrf_matches(session, codec().csrf_token(session))
    assert not codec().csrf_matches(session, codec().csrf_token(second))
    assert not codec().csrf_matches(session, None)
    assert not codec("other").csrf_matches(session, codec().csrf_token(session))


def test_the_binding_follows_the_app_id():
    _, session = codec().issue(client="acme", app_id_hash="h1", now=NOW)
    assert session.binding == codec().binding("h1") != codec().binding("h2")


def test_cookie_flags():
    session, csrf = session_cookies("v", "t", max_age=60, secure=True)
    assert session == "quintet_session=v; Path=/; Max-Age=60; SameSite=Strict; Secure; HttpOnly"
    assert csrf == "quintet_csrf=t; Path=/; Max-Age=60; SameSite=Strict; Secure"
    assert all("Max-Age=0" in value and "Secure" not in value for value in cleared_cookies(secure=False))


def test_the_cookie_header_keeps_other_cookies_only():
    header = CookieHeader()
    header.add(b"a=1; quintet_session=s; quintet_csrf=t;b=2")
    assert header.session == "s" and not header.ambiguous
    assert header.forwarded() == b"a=1; b=2"
    header.add(b"quintet_session=s")
    assert not header.ambiguous
    header.add(b"quintet_session=other")
    assert header.ambiguous


@pytest.mark.parametrize("path", ["/crm/dashboard", "/login?next=%2F%2Fx", "/a/b#c", "/"])
def test_local_paths_are_kept(path):
    assert local_path(path) == path


@pytest.mark.parametrize(
    "path", ["//x", "/\\x", "\\\\x", "http://x", "x", "/a\\b", "/a b", "/\r\nSet-Cookie:x", "/" + "a" * 3000, "/é"]
)
def test_other_targets_are_refused(path):
    with pytest.raises(Problem):
        local_path(path)


def test_no_next_means_the_sign_in_page():
    assert local_path(None) == local_path("") == "/login"
