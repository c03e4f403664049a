"""Fixtures of the bus contract tests: the same test on the in-process bus and on RabbitMQ."""

from collections.abc import AsyncIterator

import pytest

from quintet_shared.bus.memory import InMemoryBus
from quintet_shared.bus.rabbit import RabbitBus
from quintet_shared.testing.bus_harness import BusUnderTest, started

CONTRACT_DELIVERY_LIMIT = 3  # small, so that the poison-message test is quick


def _rabbit(request: pytest.FixtureRequest) -> BusUnderTest:
    amqp_url: str = request.getfixturevalue("amqp_url")
    namespace: str = request.getfixturevalue("bus_namespace")
    bus = RabbitBus(amqp_url, namespace=namespace, delivery_limit=CONTRACT_DELIVERY_LIMIT)
    return BusUnderTest(bus, CONTRACT_DELIVERY_LIMIT, amqp_url)


def _memory() -> BusUnderTest:
    return BusUnderTest(
        InMemoryBus(namespace="contract", delivery_limit=CONTRACT_DELIVERY_LIMIT), CONTRACT_DELIVERY_LIMIT
    )


@pytest.fixture(params=["memory", "rabbitmq"])
async def bus_under_test(request: pytest.FixtureRequest) -> AsyncIterator[BusUnderTest]:
    async with started(_memory() if request.param == "memory" else _rabbit(request)) as under_test:
        yield under_test


@pytest.fixture
async def rabbit_under_test(request: pytest.FixtureRequest) -> AsyncIterator[BusUnderTest]:
    async with started(_rabbit(request)) as under_test:
        yield under_test
