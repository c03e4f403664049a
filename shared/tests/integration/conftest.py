"""Fixtures of the kit's integration tests: a database with the kit's tables, a fake clock, and the
bus contract tests' bus (the same test on the in-process bus and on RabbitMQ)."""

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine

from quintet_shared.bus.memory import InMemoryBus
from quintet_shared.bus.rabbit import RabbitBus
from quintet_shared.clock import FakeClock
from quintet_shared.db import make_engine
from quintet_shared.tables import kit_metadata
from quintet_shared.testing.bus_harness import BusUnderTest, started

CONTRACT_DELIVERY_LIMIT = 3  # small, so that the poison-message test is quick
# Long enough that messages published together are handled as one batch on both transports.
CONTRACT_BATCH_WAIT = 0.1


def _rabbit(request: pytest.FixtureRequest) -> BusUnderTest:
    amqp_url: str = request.getfixturevalue("amqp_url")
    namespace: str = request.getfixturevalue("bus_namespace")
    bus = RabbitBus(
        amqp_url, namespace=namespace, delivery_limit=CONTRACT_DELIVERY_LIMIT, batch_wait=CONTRACT_BATCH_WAIT
    )
    return BusUnderTest(bus, CONTRACT_DELIVERY_LIMIT, amqp_url)


def _memory() -> BusUnderTest:
    return BusUnderTest(
        InMemoryBus(namespace="contract", delivery_limit=CONTRACT_DELIVERY_LIMIT, batch_wait=CONTRACT_BATCH_WAIT),
        CONTRACT_DELIVERY_LIMIT,
    )


@pytest.fixture(params=["memory", "rabbitmq"])
async def bus_under_test(request: pytest.FixtureRequest) -> AsyncIterator[BusUnderTest]:
    async with started(_memory() if request.param == "memory" else _rabbit(request)) as under_test:
        yield under_test


@pytest.fixture
async def rabbit_under_test(request: pytest.FixtureRequest) -> AsyncIterator[BusUnderTest]:
    async with started(_rabbit(request)) as under_test:
        yield under_test


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """The test database with the kit's tables (outbox, inbox, jobs, schedules, tenants)."""
    engine = make_engine(database_url)
    kit_metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 1, 10, tzinfo=UTC))
