"""Fixtures of the daily-SMS tests: the sandbox's three SMS gateways served for real, the service and
the real gateway in front of it over HTTP (delivery receipts come back through the gateway's public
path, as in production), and the service's worker stepped on the test's fake clock."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine

from gateway.config import Settings as GatewaySettings
from gateway.main import create_app as create_gateway
from quintet_shared.bus.memory import InMemoryBus
from quintet_shared.clock import FakeClock
from quintet_shared.component import create_service_app
from quintet_shared.db import session_scope
from quintet_shared.runtime import Runtime
from quintet_shared.testing.bus_harness import eventually
from quintet_shared.testing.thread_server import ThreadServer, serving
from sandbox.config import Settings as SandboxSettings
from sandbox.main import create_app as create_sandbox
from subscriptions.component import DEFINITION
from subscriptions.models import Plan, Subscription, SubscriptionStatus

from .worker_harness import Worker, worker

__all__ = ["Worker", "worker"]  # the daily-SMS tests take them from here

SMS_TOKEN = "test-sms-token"


@pytest.fixture(scope="session")
def sms_sandbox() -> Iterator[ThreadServer]:
    """The sandbox (its SMS gateways srv1..srv3) served for real on a free port, for the session;
    receipts are posted 20 ms after a message is accepted."""
    settings = SandboxSettings(sms_token=SMS_TOKEN, sms_callback_delay_ms=20)
    with serving(create_sandbox(settings)) as server:
        yield server


class SmsProvider:
    """The sandbox's SMS gateways as a test sees them: their §12 inspection and fault routes."""

    def __init__(self, url: str) -> None:
        self.url = url

    def behave(self, gateway: str, **behaviour: Any) -> None:
        answer = httpx.put(f"{self.url}/{gateway}/behaviour", json=behaviour)
        assert answer.status_code == 200, answer.text

    def received(self, gateway: str | None = None) -> list[dict[str, Any]]:
        base = f"{self.url}/{gateway}" if gateway else self.url
        items: list[dict[str, Any]] = []
        after = 0
        while True:
            page = httpx.get(f"{base}/received", params={"after": after, "limit": 1000}).json()
            if not page["items"]:
                return items
            items += page["items"]
            after = page["last_seq"]

    def stats(self, gateway: str | None = None) -> dict[str, int]:
        return httpx.get(f"{self.url}/{gateway}/stats" if gateway else f"{self.url}/stats").json()

    def callbacks(self) -> dict[str, int]:
        return httpx.get(f"{self.url}/callbacks").json()

    def reset(self) -> None:
        assert httpx.delete(f"{self.url}/received").status_code in (200, 204)

    async def callbacks_done(self, within: float = 20) -> dict[str, int]:
        """Wait until no receipt is waiting to be posted; the callback counts."""
        await eventually(lambda: self.callbacks()["pending"] == 0, within=within, interval=0.05)
        return self.callbacks()


@dataclass
class SmsStack:
    api: Any  # the conftest's Api, over HTTP
    gateway_url: str  # the platform's gateway, where receipts come
    sms: SmsProvider
    engine: Engine
    clock: FakeClock


@pytest.fixture
def sms_stack(
    engine: Engine, clock: FakeClock, sms_sandbox: ThreadServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SmsStack]:
    """The service (on the fake clock) and the real gateway, each served over HTTP, with the service's
    SMS settings pointing at the sandbox and its receipts at the gateway."""
    runtime = Runtime(engine=engine, bus=InMemoryBus(), clock=clock)
    service = create_service_app(DEFINITION, DEFINITION.settings(), runtime)
    sms = SmsProvider(f"{sms_sandbox.url}/sandbox/sms")
    sms.reset()
    with serving(service) as served:
        gateway_settings = GatewaySettings(database_url=f"sqlite:///{tmp_path / 'gateway.db'}")
        gateway = create_gateway(gateway_settings, upstreams={"subscriptions": served.url}, migrate=True)
        with serving(gateway) as front:
            for name, value in {
                "SUBSCRIPTIONS_SMS_URL": sms.url,
                "SUBSCRIPTIONS_SMS_TOKEN": SMS_TOKEN,
                "SUBSCRIPTIONS_CALLBACK_BASE_URL": front.url,
                "SUBSCRIPTIONS_SMS_CONCURRENCY": "8",
                "SUBSCRIPTIONS_SMS_TIMEOUT_SECONDS": "5",
            }.items():
                monkeypatch.setenv(name, value)
            from .conftest import Api  # the conftest imports these fixtures

            with httpx.Client(base_url=served.url, timeout=30) as http:
                api = Api(http, engine, clock)  # type: ignore[arg-type]
                yield SmsStack(api=api, gateway_url=front.url, sms=sms, engine=engine, clock=clock)
            sms.reset()


def make_paid(engine: Engine, msisdns: list[str], paid_until: date, *, client: str = "iska") -> None:
    """What a successful charge leaves (billing is another part's): active, paid until the date."""
    with session_scope(engine) as session:
        session.execute(
            update(Subscription)
            .where(Subscription.client == client, Subscription.msisdn.in_(msisdns))  # type: ignore[arg-type, attr-defined]
            .values(status=SubscriptionStatus.ACTIVE.value, plan_paid=Plan.DAILY.value, paid_until=paid_until)
        )
