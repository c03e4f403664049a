"""Each run mode points the services' provider URLs at the sandbox it starts."""

from pathlib import Path

import pytest

from quintet_platform.components import SANDBOX_PROVIDER_URLS, sandbox_provider_urls
from quintet_platform.distributed import Plan
from sandbox.config import Settings as SandboxSettings
from sandbox.providers import REGISTERED


def test_every_provider_named_is_one_the_sandbox_serves() -> None:
    served = {factory(SandboxSettings()).name for factory in REGISTERED}
    assert set(SANDBOX_PROVIDER_URLS.values()) <= served


def test_the_urls_follow_the_sandbox_port_and_keep_what_the_environment_sets() -> None:
    assert sandbox_provider_urls(18009, {}) == {
        "PROMOTIONS_PUSH_URL": "http://127.0.0.1:18009/sandbox/push",
        "SUBSCRIPTIONS_BILLING_URL": "http://127.0.0.1:18009/sandbox/billing",
    }
    assert sandbox_provider_urls(18009, {"PROMOTIONS_PUSH_URL": "https://push.example"}) == {
        "SUBSCRIPTIONS_BILLING_URL": "http://127.0.0.1:18009/sandbox/billing"
    }


def test_distributed_mode_on_other_ports_reaches_its_own_sandbox(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("PROMOTIONS_PUSH_URL", raising=False)
    env = Plan(state_dir=tmp_path, port_base=18000).environment()
    assert env["PROMOTIONS_PUSH_URL"] == "http://127.0.0.1:18009/sandbox/push"
    monkeypatch.setenv("PROMOTIONS_PUSH_URL", "https://push.example")
    assert Plan(state_dir=tmp_path, port_base=18000).environment()["PROMOTIONS_PUSH_URL"] == "https://push.example"
