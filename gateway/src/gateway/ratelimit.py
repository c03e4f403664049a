"""Per-client rate limits: a token bucket per client code, refilled at its rate per minute.

The buckets live in this process's memory, so each gateway replica enforces the limit on its own:
with N replicas behind a load balancer a client may get up to N times its rate. That is the price
of keeping the database and the network off the request path.

Keys may be many (the public paths are limited per remote address): a bucket untouched for a minute
is full again, the same as a new one, so such buckets are dropped whenever the number of keys has
doubled since the last sweep (a cost spread over the new keys, none on the others).
"""

import time
from collections.abc import Callable


class _Bucket:
    __slots__ = ("per_minute", "tokens", "updated")

    def __init__(self, per_minute: int, now: float) -> None:
        self.per_minute = per_minute
        self.tokens = float(per_minute)  # a new client may spend a minute's worth at once
        self.updated = now


FULL_AFTER_SECONDS = 60.0  # an empty bucket refills completely in a minute, whatever its rate
MIN_SWEEP_SIZE = 1024


class RateLimiter:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._sweep_at = MIN_SWEEP_SIZE

    def __len__(self) -> int:
        return len(self._buckets)

    def acquire(self, key: str, per_minute: int) -> float:
        """Take one token: 0.0 when allowed, else the seconds until a token will be there."""
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self._sweep_at:
                self._sweep(now)
            bucket = self._buckets[key] = _Bucket(per_minute, now)
        else:
            # The limit may have been changed by the admin API since the bucket was made.
            bucket.per_minute = per_minute
            refill = (now - bucket.updated) * per_minute / 60.0
            bucket.tokens = min(float(per_minute), bucket.tokens + refill)
            bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) * 60.0 / per_minute

    def _sweep(self, now: float) -> None:
        idle = [key for key, bucket in self._buckets.items() if now - bucket.updated >= FULL_AFTER_SECONDS]
        for key in idle:
            del self._buckets[key]
        self._sweep_at = max(MIN_SWEEP_SIZE, 2 * len(self._buckets))


def retry_after(wait_seconds: float) -> int:
    """Retry-After takes whole seconds; rounding up (and at least 1) never invites a retry too early."""
    return max(1, int(-(-wait_seconds // 1)))
