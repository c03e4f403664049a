"""Each run mode points the services' provider URLs at the sandbox it starts, and their callback URLs at
its gateway."""

from pathlib import Path

import pytest

from quintet_platform.components import (
    SANDBOX_PROVIDER_URLS,
    gateway_url_settings,
    sandbox_provider_urls,
    sandbox_smtp_settings,
)
from quintet_platform.distributed import Plan
from sandbox.config import Settings as SandboxSettings
from sandbox.providers import REGISTERED


def test_every_provider_named_is_one_the_sandbox_serves() -> None:
    served = {factory(SandboxSettings()).name for factory in REGISTERED}
    assert {path.split("/")[0] for path in SANDBOX_PROVIDER_URLS.values()} <= served


def test_the_urls_follow_the_sandbox_port_and_keep_what_the_environment_sets() -> None:
    assert sandbox_provider_urls(18009, {}) == {
        "PROMOTIONS_PUSH_URL": "http://127.0.0.1:18009/sandbox/push",
        "SUBSCRIPTIONS_BILLING_URL": "http://127.0.0.1:18009/sandbox/billing",
        "SUBSCRIPTIONS_SMS_URL": "http://127.0.0.1:18009/sandbox/sms",
        "MARKETPLACE_ORDERS_URL": "http://127.0.0.1:18009/sandbox/marketplace/shop/api",
        "MARKETPLACE_OFFERS_URL": "http://127.0.0.1:18009/sandbox/marketplace",
        "MARKETPLACE_TELEGRAM_URL": "http://127.0.0.1:18009/sandbox/telegram",
    }
    kept = {
        "PROMOTIONS_PUSH_URL": "https://push.example",
        "SUBSCRIPTIONS_BILLING_URL": "https://billing.example",
        "SUBSCRIPTIONS_SMS_URL": "https://sms.example",
        "MARKETPLACE_ORDERS_URL": "https://kaspi.kz/shop/api",
        "MARKETPLACE_OFFERS_URL": "https://kaspi.kz",
    }
    assert sandbox_provider_urls(18009, kept) == {"MARKETPLACE_TELEGRAM_URL": "http://127.0.0.1:18009/sandbox/telegram"}
    assert sandbox_provider_urls(18009, dict.fromkeys(SANDBOX_PROVIDER_URLS, "https://provider.example")) == {}


def test_callbacks_come_to_the_gateway_of_the_run_mode_unless_the_environment_says_otherwise() -> None:
    assert gateway_url_settings(18000, {}) == {"SUBSCRIPTIONS_CALLBACK_BASE_URL": "http://127.0.0.1:18000"}
    assert gateway_url_settings(18000, {"SUBSCRIPTIONS_CALLBACK_BASE_URL": "https://api.example"}) == {}


def test_distributed_mode_on_other_ports_reaches_its_own_sandbox(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("PROMOTIONS_PUSH_URL", "SUBSCRIPTIONS_SMS_URL", "SUBSCRIPTIONS_CALLBACK_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    env = Plan(state_dir=tmp_path, port_base=18000).environment()
    assert env["PROMOTIONS_PUSH_URL"] == "http://127.0.0.1:18009/sandbox/push"
    assert env["SUBSCRIPTIONS_SMS_URL"] == "http://127.0.0.1:18009/sandbox/sms"
    assert env["SUBSCRIPTIONS_CALLBACK_BASE_URL"] == "http://127.0.0.1:18000"
    monkeypatch.setenv("PROMOTIONS_PUSH_URL", "https://push.example")
    assert Plan(state_dir=tmp_path, port_base=18000).environment()["PROMOTIONS_PUSH_URL"] == "https://push.example"


def test_the_smtp_sink_follows_the_port_base_and_crm_sends_there_unless_told_otherwise(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert sandbox_smtp_settings(18000, {}) == {
        "SANDBOX_SMTP_PORT": "18025",
        "CRM_SMTP_HOST": "127.0.0.1",
        "CRM_SMTP_PORT": "18025",
    }
    assert sandbox_smtp_settings(18000, {"CRM_SMTP_HOST": "relay.example"}) == {"SANDBOX_SMTP_PORT": "18025"}
    monkeypatch.delenv("CRM_SMTP_HOST", raising=False)
    monkeypatch.delenv("CRM_SMTP_PORT", raising=False)
    env = Plan(state_dir=tmp_path, port_base=18000).environment()
    assert (env["SANDBOX_SMTP_PORT"], env["CRM_SMTP_HOST"], env["CRM_SMTP_PORT"]) == ("18025", "127.0.0.1", "18025")
