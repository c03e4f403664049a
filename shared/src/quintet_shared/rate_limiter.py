"""A request rate toward an outside API, kept by the caller (the marketplace's offers API, say).

`await limiter.acquire()` returns when one more request fits in `rate_per_second`, letting `burst`
requests through at once after a quiet spell. It is the generic cell rate algorithm: each request
books the next free instant, so concurrent callers are spaced evenly in the order they asked,
without a lock (one event loop), and the wait is computed, never polled.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable


class RateLimiter:
    def __init__(
        self,
        rate_per_second: float,
        *,
        burst: int = 1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if rate_per_second <= 0:
            raise ValueError("rate_per_second must be positive")
        if burst < 1:
            raise ValueError("burst must be at least 1")
        self.interval = 1.0 / rate_per_second
        self.tolerance = (burst - 1) * self.interval
        self._clock = clock
        self._sleep = sleep
        self._next = clock()  # the theoretical arrival time of the next request

    def reserve(self) -> float:
        """Book the next request now; returns how long the caller must wait before sending it."""
        now = self._clock()
        arrival = max(self._next, now)
        self._next = arrival + self.interval
        return max(0.0, arrival - self.tolerance - now)

    async def acquire(self) -> None:
        wait = self.reserve()
        if wait > 0:
            await self._sleep(wait)
