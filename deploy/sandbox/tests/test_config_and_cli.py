"""Settings names and the `sandbox serve` command line."""

from typing import Any

import pytest
from typer.testing import CliRunner

from sandbox import cli
from sandbox.config import Settings


def test_defaults_follow_the_conventions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SANDBOX_PORT", raising=False)
    monkeypatch.delenv("SANDBOX_SMTP_PORT", raising=False)
    settings = Settings()
    assert (settings.port, settings.smtp_port) == (8009, 8025)


def test_own_settings_take_the_prefix_and_common_ones_do_not(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SANDBOX_PORT", "9009")
    monkeypatch.setenv("SANDBOX_SMTP_PORT", "9025")
    monkeypatch.setenv("GATEWAY_SECRET", "from-the-environment")
    settings = Settings()
    assert (settings.port, settings.smtp_port, settings.gateway_secret) == (9009, 9025, "from-the-environment")


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Records what `serve` hands to uvicorn instead of starting a server."""
    seen: dict[str, Any] = {}

    def fake_run(app: Any, **kwargs: Any) -> None:
        seen.update(kwargs, app=app)

    monkeypatch.setattr(cli.uvicorn, "run", fake_run)
    # Logging setup replaces the root handlers, which would outlive this test.
    monkeypatch.setattr(cli, "configure_logging", lambda *_args, **_kwargs: None)
    monkeypatch.delenv("SANDBOX_PORT", raising=False)
    return seen


def test_serve_defaults_to_loopback_and_the_sandbox_port(served: dict[str, Any]) -> None:
    result = CliRunner().invoke(cli.app, ["serve"])
    assert result.exit_code == 0, result.output
    assert (served["host"], served["port"]) == ("127.0.0.1", 8009)


def test_serve_takes_host_and_port(served: dict[str, Any]) -> None:
    result = CliRunner().invoke(cli.app, ["serve", "--host", "0.0.0.0", "--port", "9100"])
    assert result.exit_code == 0, result.output
    assert (served["host"], served["port"]) == ("0.0.0.0", 9100)
