from gateway.ratelimit import RateLimiter, retry_after


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_minutes_worth_at_once_then_one_per_interval():
    clock = Clock()
    limiter = RateLimiter(clock)
    assert [limiter.acquire("a", 3) for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = limiter.acquire("a", 3)
    assert wait == 20.0  # 3 per minute: a token every 20 s
    clock.now += 20
    assert limiter.acquire("a", 3) == 0.0
    assert limiter.acquire("a", 3) > 0


def test_clients_have_their_own_buckets():
    limiter = RateLimiter(Clock())
    assert limiter.acquire("a", 1) == 0.0
    assert limiter.acquire("a", 1) > 0
    assert limiter.acquire("b", 1) == 0.0


def test_a_lowered_limit_applies_to_the_existing_bucket():
    clock = Clock()
    limiter = RateLimiter(clock)
    limiter.acquire("a", 600)
    clock.now += 1
    assert limiter.acquire("a", 1) == 0.0  # the bucket is capped to the new size...
    assert limiter.acquire("a", 1) == 60.0  # ...and refills at the new rate


def test_retry_after_is_whole_seconds_and_at_least_one():
    assert retry_after(0.01) == 1
    assert retry_after(1.0) == 1
    assert retry_after(1.2) == 2
    assert retry_after(59.9) == 60


def test_buckets_idle_for_a_minute_are_swept_once_the_keys_have_doubled():
    clock = Clock()
    limiter = RateLimiter(clock)
    for n in range(1024):
        limiter.acquire(f"old-{n}", 1)
    clock.now += 60  # every old bucket is full again: the same as a new one
    limiter.acquire("busy", 1)
    assert len(limiter) == 1
    assert limiter.acquire("busy", 1) > 0  # a live bucket is kept, with its tokens spent
