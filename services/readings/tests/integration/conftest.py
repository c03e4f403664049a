"""Fixtures and helpers shared by the readings integration tests."""

from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from quintet_shared.bus.memory import InMemoryBus
from quintet_shared.component import create_service_app
from quintet_shared.db import make_engine
from quintet_shared.migrations import upgrade
from quintet_shared.runtime import Runtime
from readings.component import DEFINITION
from readings.ingestion import chunks


@pytest.fixture(params=["one chunk", "a chunk per row"])
def chunk_size(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every rule holds whether a file lands in one chunk or across many (each chunk is resolved
    and landed on its own while the next one is parsed)."""
    if request.param == "a chunk per row":
        monkeypatch.setattr(chunks, "CHUNK_ROWS", 1)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """The test database, migrated to the readings service's latest revision."""
    upgrade(DEFINITION.migrations, database_url)
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def serve_readings(engine: Engine) -> Iterator[Callable[[Callable[[Session], None]], TestClient]]:
    """Serve(seed): the readings API over the test database after `seed` filled it, called without a
    gateway (sign requests with quintet_shared.testing.gateway); its engine is `client.app_engine`."""
    with ExitStack() as stack:

        def serve(seed: Callable[[Session], None]) -> TestClient:
            with Session(engine) as session:
                seed(session)
            runtime = Runtime(engine=engine, bus=InMemoryBus())
            app = create_service_app(DEFINITION, DEFINITION.settings(), runtime)
            client = stack.enter_context(TestClient(app, raise_server_exceptions=False))
            client.app_engine = engine  # type: ignore[attr-defined]
            return client

        yield serve
