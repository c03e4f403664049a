"""The sandbox skeleton: health, the provider listing, mounting and provider lifecycles."""

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient

from sandbox.config import Settings
from sandbox.main import create_app
from sandbox.providers import REGISTERED, Provider


def echo_provider_factory(events: list[str]):
    def factory(_settings: Settings) -> Provider:
        router = APIRouter()

        @router.get("/ping")
        async def ping() -> dict[str, str]:
            return {"pong": "echo"}

        async def start() -> None:
            events.append("echo started")

        async def stop() -> None:
            events.append("echo stopped")

        return Provider(name="echo", title="Echoes", router=router, on_startup=[start], on_shutdown=[stop])

    return factory


def test_live_answers_without_startup() -> None:
    response = TestClient(create_app(Settings())).get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_only_once_providers_started() -> None:
    app = create_app(Settings())
    assert TestClient(app).get("/health/ready").status_code == 503
    with TestClient(app) as client:
        response = client.get("/health/ready")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_listing_shows_the_registry_by_default() -> None:
    with TestClient(create_app(Settings())) as client:
        response = client.get("/sandbox/providers")
    assert response.status_code == 200
    expected = [factory(Settings()).name for factory in REGISTERED]
    assert [p["name"] for p in response.json()["providers"]] == expected


def test_a_provider_is_mounted_listed_and_started() -> None:
    events: list[str] = []
    app = create_app(Settings(), providers=[echo_provider_factory(events)])
    with TestClient(app) as client:
        assert events == ["echo started"]
        assert client.get("/sandbox/echo/ping").json() == {"pong": "echo"}
        listing = client.get("/sandbox/providers").json()
    assert listing == {"providers": [{"name": "echo", "title": "Echoes", "prefix": "/sandbox/echo"}]}
    assert events == ["echo started", "echo stopped"]


def test_providers_that_started_are_stopped_when_a_later_one_fails() -> None:
    events: list[str] = []

    def broken(_settings: Settings) -> Provider:
        async def fail() -> None:
            raise RuntimeError("cannot start")

        return Provider(name="broken", title="Broken", router=APIRouter(), on_startup=[fail])

    app = create_app(Settings(), providers=[echo_provider_factory(events), broken])
    with pytest.raises(RuntimeError, match="cannot start"), TestClient(app):
        pass
    assert events == ["echo started", "echo stopped"]


def test_a_name_registered_twice_is_refused() -> None:
    factory = echo_provider_factory([])
    with pytest.raises(ValueError, match="registered twice: echo"):
        create_app(Settings(), providers=[factory, factory])


@pytest.mark.parametrize("name", ["", "Billing", "sms/gateway", "1sms"])
def test_a_name_that_is_not_a_url_segment_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match="lowercase URL segment"):
        Provider(name=name, title="x", router=APIRouter())


def test_unknown_paths_are_problem_json() -> None:
    response = TestClient(create_app(Settings())).get("/sandbox/nowhere")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 404
    assert response.headers["x-request-id"]
