"""Topic matching must agree with RabbitMQ's, or embedded mode would route differently."""

import pytest

from quintet_shared.bus.topic import matches


@pytest.mark.parametrize(
    ("binding", "routing_key"),
    [
        ("readings.file.ingested", "readings.file.ingested"),
        ("readings.*.ingested", "readings.file.ingested"),
        ("*.*.*", "promotions.purchase.completed"),
        ("readings.#", "readings.file.ingested"),
        ("readings.#", "readings"),  # '#' also matches zero words
        ("#", "gateway.client.registered"),
        ("#.completed", "promotions.purchase.completed"),
        ("promotions.#.completed", "promotions.completed"),
        ("promotions.#.completed", "promotions.purchase.hold.completed"),
        ("#.purchase.#", "promotions.purchase.completed"),
        ("*.#", "crm"),
    ],
)
def test_matches(binding: str, routing_key: str) -> None:
    assert matches(binding, routing_key)


@pytest.mark.parametrize(
    ("binding", "routing_key"),
    [
        ("readings.file.ingested", "readings.file.deleted"),
        ("readings.file.ingested", "readings.file"),
        ("readings.file", "readings.file.ingested"),  # no implicit prefix matching
        ("readings.*", "readings.file.ingested"),  # '*' is exactly one word
        ("*.*.*", "promotions.purchase"),
        ("*.file.ingested", "file.ingested"),
        ("#.completed", "promotions.purchase.completed.late"),
        ("promotions.#.completed", "promotions.purchase.failed"),
        ("readings.#", "crm.visit.recorded"),
        ("readings.file.ingested", "Readings.file.ingested"),  # case-sensitive, as on the broker
    ],
)
def test_does_not_match(binding: str, routing_key: str) -> None:
    assert not matches(binding, routing_key)
