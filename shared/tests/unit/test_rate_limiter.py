"""The rate limiter spaces requests evenly, lets a burst through, and never waits when idle."""

import asyncio

import pytest

from quintet_shared.rate_limiter import RateLimiter


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


def test_requests_beyond_the_rate_wait_their_turn() -> None:
    time = FakeTime()
    limiter = RateLimiter(10, clock=time.clock, sleep=time.sleep)
    assert [round(limiter.reserve(), 6) for _ in range(4)] == [0.0, 0.1, 0.2, 0.3]


def test_a_burst_passes_at_once_then_the_rate_holds() -> None:
    time = FakeTime()
    limiter = RateLimiter(10, burst=3, clock=time.clock, sleep=time.sleep)
    assert [round(limiter.reserve(), 6) for _ in range(5)] == [0.0, 0.0, 0.0, 0.1, 0.2]


def test_an_idle_spell_does_not_save_up_more_than_the_burst() -> None:
    time = FakeTime()
    limiter = RateLimiter(10, burst=2, clock=time.clock, sleep=time.sleep)
    limiter.reserve()
    time.now += 60
    assert [round(limiter.reserve(), 6) for _ in range(3)] == [0.0, 0.0, 0.1]


def test_acquire_sleeps_the_reserved_wait() -> None:
    time = FakeTime()
    limiter = RateLimiter(4, clock=time.clock, sleep=time.sleep)

    async def two() -> None:
        await limiter.acquire()
        await limiter.acquire()

    asyncio.run(two())
    assert time.slept == [0.25]


def test_a_real_rate_is_kept_over_real_time() -> None:
    limiter = RateLimiter(200)

    async def many() -> float:
        loop = asyncio.get_running_loop()
        started = loop.time()
        await asyncio.gather(*(limiter.acquire() for _ in range(41)))
        return loop.time() - started

    assert asyncio.run(many()) >= 0.19


@pytest.mark.parametrize(("rate", "burst"), [(0, 1), (-1, 1), (1, 0)])
def test_a_rate_or_burst_that_cannot_be_is_refused(rate: float, burst: int) -> None:
    with pytest.raises(ValueError):
        RateLimiter(rate, burst=burst)
