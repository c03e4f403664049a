"""The distributed platform end to end: a client registered at the gateway reaches every service."""

import time

import pytest

from quintet_platform.components import SERVICES

pytestmark = pytest.mark.e2e


def test_every_component_is_ready(platform) -> None:
    health = platform.gateway.get("/health")
    assert health.status_code == 200, health.text
    assert set(health.json()["services"]) == set(SERVICES)


def test_registered_client_calls_services_and_the_event_reaches_them(platform) -> None:
    created = platform.gateway.post(
        "/admin/clients",
        headers={"Authorization": f"Bearer {platform.admin_token}"},
        json={"code": "e2e-client", "name": "E2E Client", "services": list(SERVICES), "rate_limit_per_minute": 6000},
    )
    assert created.status_code == 201, created.text
    app_id = created.json()["app_id"]
    pending = set(SERVICES)
    deadline = time.monotonic() + 30
    while pending and time.monotonic() < deadline:
        for service in sorted(pending):
            # gateway.client.registered, published by the gateway's outbox, consumed by each service's worker
            response = platform.gateway.get(f"/{service}/tenant", headers={"X-App-Id": app_id})
            assert response.status_code in (200, 404), response.text
            if response.status_code == 200:
                assert response.json()["code"] == "e2e-client"
                assert response.headers["x-request-id"]
                pending.discard(service)
        time.sleep(0.2)
    assert not pending, f"the registration event never reached {sorted(pending)}"
