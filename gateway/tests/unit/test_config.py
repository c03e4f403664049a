import pytest
from pydantic import ValidationError

from gateway.config import Settings, parse_upstreams
from quintet_shared.settings import DEV_ADMIN_TOKEN


def test_upstreams_parse_from_the_environment(monkeypatch):
    monkeypatch.setenv("GATEWAY_UPSTREAMS", "readings=http://a:1/, crm=http://b:2")
    monkeypatch.setenv("GATEWAY_TIMEOUT_SECONDS", "2.5")
    settings = Settings()
    assert settings.upstreams == {"readings": "http://a:1", "crm": "http://b:2"}
    assert settings.timeout_seconds == 2.5


def test_default_upstreams_are_the_local_ports(monkeypatch):
    monkeypatch.delenv("GATEWAY_UPSTREAMS", raising=False)
    assert Settings().upstreams["marketplace"] == "http://127.0.0.1:8005"


def test_malformed_upstreams_are_refused():
    with pytest.raises(ValueError):
        parse_upstreams("readings")


def test_prod_refuses_the_dev_admin_token_and_session_secret():
    with pytest.raises(ValidationError, match="admin_token"):
        Settings(quintet_env="prod", gateway_secret="s3cret", session_secret="k3y")
    with pytest.raises(ValidationError, match="session_secret"):
        Settings(quintet_env="prod", gateway_secret="s3cret", admin_token="t0ken")
    chosen = Settings(quintet_env="prod", gateway_secret="s3cret", admin_token="t0ken", session_secret="k3y")
    assert (chosen.admin_token, chosen.session_secret) == ("t0ken", "k3y")
    assert Settings(quintet_env="dev").admin_token == DEV_ADMIN_TOKEN


def test_sessions_last_eight_hours_by_default(monkeypatch):
    monkeypatch.delenv("GATEWAY_SESSION_MAX_AGE_SECONDS", raising=False)
    assert Settings().session_max_age_seconds == 8 * 3600
    monkeypatch.setenv("GATEWAY_SESSION_COOKIE_SECURE", "true")
    assert Settings().session_cookie_secure is True
