"""Fixtures for integration tests: real PostgreSQL and RabbitMQ, isolated per test."""

import uuid
from collections.abc import Iterator

import pytest

from quintet_shared.testing import servers


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    yield from servers.postgres_admin_url()


@pytest.fixture(scope="session")
def amqp_url() -> Iterator[str]:
    yield from servers.amqp_url()


@pytest.fixture
def postgres_url(postgres_admin_url: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test."""
    with servers.fresh_postgres_database(postgres_admin_url) as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Runs a test on both databases: the same code must behave the same on each."""
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return request.getfixturevalue(fixture)


@pytest.fixture
def bus_namespace() -> str:
    """Unique exchange and queue names, so that tests sharing one broker never see each other."""
    return f"test-{uuid.uuid4().hex[:10]}"
