"""The push client's settings, and how it reads a provider's Retry-After."""

import pytest
from pydantic import ValidationError

from promotions.config import Settings
from promotions.push import MIN_RETRY_AFTER, PushClient, _retry_after
from sandbox.config import Settings as SandboxSettings


def test_the_defaults_reach_the_sandbox_of_the_platform(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SANDBOX_PORT", "SANDBOX_PUSH_TOKEN", "PROMOTIONS_PUSH_URL", "PROMOTIONS_PUSH_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    settings, sandbox = Settings(), SandboxSettings()
    assert settings.push_url == f"http://127.0.0.1:{sandbox.port}/sandbox/push"
    assert settings.push_token == sandbox.push_token


def test_prod_refuses_the_public_push_token() -> None:
    with pytest.raises(ValidationError, match="push_token must be set in prod"):
        Settings(quintet_env="prod", gateway_secret="a-real-secret")
    Settings(quintet_env="prod", gateway_secret="a-real-secret", push_token="a-real-token")


def test_settings_take_the_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROMOTIONS_PUSH_URL", "https://push.example/v1")
    monkeypatch.setenv("PROMOTIONS_PUSH_BATCH_SIZE", "100")
    client = PushClient.from_settings(Settings())
    assert (client.endpoint, client.batch_size) == ("https://push.example/v1/messages", 100)


@pytest.mark.parametrize("size", ["0", "501"])
def test_a_batch_beyond_the_provider_limit_is_refused(monkeypatch: pytest.MonkeyPatch, size: str) -> None:
    monkeypatch.setenv("PROMOTIONS_PUSH_BATCH_SIZE", size)
    with pytest.raises(ValidationError):
        Settings()
    with pytest.raises(ValueError, match="batch_size"):
        PushClient("http://x", "t", batch_size=int(size))


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("3", 3.0),
        (" 12 ", 12.0),
        ("0", MIN_RETRY_AFTER),
        (None, 1.0),
        ("", 1.0),
        ("soon", 1.0),
        ("-5", 1.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", MIN_RETRY_AFTER),  # a date already past
    ],
)
def test_retry_after_is_read_as_seconds_or_a_date(header: str | None, seconds: float) -> None:
    assert _retry_after(header) == seconds
