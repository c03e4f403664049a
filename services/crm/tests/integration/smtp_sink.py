"""The sandbox's SMTP sink on free ports, for the crm tests that send mail (a real server over real
sockets; its HTTP side inspects what arrived)."""

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from quintet_shared.testing.thread_server import serving
from sandbox.config import Settings as SandboxSettings
from sandbox.main import create_app as create_sandbox


@dataclass
class Sink:
    url: str  # the smtp provider's HTTP base: /received, /stats, /behaviour
    smtp_port: int

    def received(self) -> list[dict[str, Any]]:
        """Every item the sink lists, read page by page."""
        items: list[dict[str, Any]] = []
        after = 0
        with httpx.Client(base_url=self.url, timeout=30) as http:
            while True:
                page = http.get("/received", params={"after": after, "limit": 1000}).json()
                items += page["items"]
                if not page["items"]:
                    return items
                after = page["last_seq"]

    def stats(self) -> dict[str, int]:
        return dict(httpx.get(f"{self.url}/stats").json())

    def duplicates(self) -> int:
        """Messages the sink dropped, their Message-ID already accepted."""
        return int(httpx.get(f"{self.url}/duplicates").json()["dropped"])

    def behave(self, **behaviour: Any) -> None:
        httpx.put(f"{self.url}/behaviour", json=behaviour).raise_for_status()

    def reset(self) -> None:
        httpx.delete(f"{self.url}/received").raise_for_status()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def smtp_sink(received_limit: int = 200_000) -> Iterator[Sink]:
    port = free_port()
    settings = SandboxSettings(smtp_port=port, received_limit=received_limit)
    with serving(create_sandbox(settings)) as server:
        yield Sink(url=f"{server.url}/sandbox/smtp", smtp_port=port)


@pytest.fixture(scope="session")
def session_sink() -> Iterator[Sink]:
    with smtp_sink() as running:
        yield running


@pytest.fixture
def sink(session_sink: Sink, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sink]:
    """The sink, emptied, and the crm worker's settings pointing at it (jobs read the environment)."""
    session_sink.reset()
    monkeypatch.setenv("CRM_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("CRM_SMTP_PORT", str(session_sink.smtp_port))
    monkeypatch.setenv("CRM_PUBLIC_BASE_URL", "https://quintet.example")
    monkeypatch.setenv("CRM_CAMPAIGN_RETRY_SECONDS", "0")  # retries due at once: the tests' clock stands still
    yield session_sink
    session_sink.reset()
