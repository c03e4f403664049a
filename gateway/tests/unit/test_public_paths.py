import pytest

from gateway.public_paths import PublicPaths

PUBLIC = PublicPaths(["subscriptions"])


def is_public(raw: bytes, path: str | None = None) -> bool:
    from urllib.parse import unquote

    scope = {"raw_path": raw, "path": path if path is not None else unquote(raw.decode("latin-1"))}
    return PUBLIC(scope, "subscriptions")


@pytest.mark.parametrize(
    "raw",
    [
        b"/subscriptions/public/sms/k7Qx-s3cret_token.v1",
        b"/subscriptions/public/x",
        b"/subscriptions/public/a/.b/c..d/...",
    ],
)
def test_plain_public_paths(raw):
    assert is_public(raw)


@pytest.mark.parametrize(
    "raw",
    [
        b"/subscriptions/public/",
        b"/subscriptions/public",
        b"/subscriptions/public//x",
        b"/subscriptions/public/x/",
        b"/subscriptions//public/x",
        b"/subscriptions/public/../stores",
        b"/subscriptions/public/x/./y",
        b"/subscriptions/public/x/..",
        b"/subscriptions/public%2F..%2Fstores",
        b"/subscriptions/public/%2e%2e/stores",
        b"/subscriptions/public/a%20b",
        b"/subscriptions/public/a\\..\\b",
        b"/subscriptions/public/a;b",
        b"/subscriptions/Public/x",
        b"/subscriptions/publicx/y",
    ],
)
def test_anything_else_needs_an_app_id(raw):
    assert not is_public(raw)


def test_a_server_routing_on_another_path_than_the_raw_one_is_not_trusted():
    assert not is_public(b"/subscriptions/public/x", "/subscriptions/stores")


def test_without_a_raw_path_the_decoded_one_counts():
    assert PUBLIC({"path": "/subscriptions/public/x"}, "subscriptions")
    assert not PUBLIC({"path": "/subscriptions/public/../x"}, "subscriptions")
