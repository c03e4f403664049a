"""Behaviour decisions: seeded failures, the throttle's bucket, what a PUT may contain."""

import time

import pytest
from pydantic import ValidationError

from sandbox.kit.behaviour import Behaviour, Faults


def draws(behaviour: Behaviour, count: int) -> list[bool]:
    faults = Faults()
    faults.set(behaviour)
    return [faults.fails() for _ in range(count)]


def test_failures_with_a_seed_are_the_same_every_time() -> None:
    first = draws(Behaviour(failure_rate=0.3, seed=42), 200)
    assert first == draws(Behaviour(failure_rate=0.3, seed=42), 200)
    assert first != draws(Behaviour(failure_rate=0.3, seed=43), 200)
    assert 30 <= sum(first) <= 90  # about 30 %


def test_rates_of_zero_and_one_never_and_always_fail() -> None:
    assert not any(draws(Behaviour(failure_rate=0), 100))
    assert all(draws(Behaviour(failure_rate=1), 100))


def test_the_throttle_admits_a_second_of_requests_then_says_when_to_return() -> None:
    faults = Faults()
    faults.set(Behaviour(rate_limit_per_second=5))
    assert [faults.throttled() for _ in range(5)] == [None] * 5
    assert faults.throttled() == 1


def test_a_slow_rate_asks_for_a_longer_wait_and_refills_with_time() -> None:
    faults = Faults()
    faults.set(Behaviour(rate_limit_per_second=0.25))
    assert faults.throttled() is None
    assert faults.throttled() == 4
    faults.set(Behaviour(rate_limit_per_second=50))
    for _ in range(50):
        faults.throttled()
    time.sleep(0.1)
    assert faults.throttled() is None  # five requests' worth came back in 0.1 s


def test_no_rate_limit_by_default_and_a_reset_restores_the_defaults() -> None:
    faults = Faults()
    assert faults.throttled() is None
    faults.set(Behaviour(down=True, latency_ms=5, failure_rate=1))
    faults.reset()
    assert faults.behaviour == Behaviour()


@pytest.mark.parametrize(
    "fields",
    [
        {"failure_rate": 1.5},
        {"failure_rate": -0.1},
        {"latency_ms": -1},
        {"latency_ms": 60_001},
        {"rate_limit_per_second": 0},
        {"seed": -1},
        {"down": "sometimes"},
        {"typo": True},
    ],
)
def test_a_behaviour_out_of_range_is_refused(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Behaviour.model_validate(fields)
