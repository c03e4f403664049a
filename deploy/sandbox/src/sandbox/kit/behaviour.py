"""How a provider misbehaves, as set by `PUT /sandbox/<provider>/behaviour`, and the decisions it takes.

A PUT replaces the whole behaviour: a field left out takes its default, so `{}` is a healthy
provider. Failures are drawn from a generator seeded with `seed`, so one seed and one sequence of
requests always fail the same requests. `rate_limit_per_second` (an extension of ARCHITECTURE.md
§12's fields, off by default) throttles: requests beyond the rate are answered 429 with Retry-After.

A provider with outcomes of its own (a declined charge, an undelivered message) subclasses
`Behaviour` with its fields, and may say which share of requests is answered 5xx
(`server_failure_rate`); its own outcomes draw from the same seeded generator (`Faults.draw`).
"""

import math
import random
import time

from pydantic import BaseModel, ConfigDict, Field, StrictBool


class Behaviour(BaseModel):
    model_config = ConfigDict(extra="forbid")

    failure_rate: float = Field(0.0, ge=0, le=1, description="Share of requests answered with a 5xx")
    latency_ms: int = Field(0, ge=0, le=60_000, description="Added before every answer")
    down: StrictBool = Field(False, description="Requests are not answered: the connection is reset")
    seed: int | None = Field(None, ge=0, le=2**63 - 1, description="Seed of the failure draws (None: random)")
    rate_limit_per_second: float | None = Field(
        None, gt=0, le=1_000_000, description="Requests admitted per second; beyond, 429 with Retry-After"
    )

    @property
    def server_failure_rate(self) -> float:
        """The share of requests answered with a 5xx (a provider that gives `failure_rate` another
        meaning names another field here)."""
        return self.failure_rate


class Faults:
    """The behaviour in force and the state its decisions need (the draws, the throttle's bucket)."""

    def __init__(self, model: type[Behaviour] = Behaviour) -> None:
        self.model = model
        self.set(model())

    def set(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self._draws = random.Random(behaviour.seed)
        rate = behaviour.rate_limit_per_second
        # A token bucket holding one second's worth of requests (at least one), full at the start.
        self._capacity = max(1.0, rate) if rate else 0.0
        self._tokens = self._capacity
        self._filled_at = time.monotonic()

    def reset(self) -> None:
        self.set(self.model())

    def throttled(self) -> int | None:
        """None when the request is admitted; else the seconds to wait before trying again."""
        rate = self.behaviour.rate_limit_per_second
        if rate is None:
            return None
        now = time.monotonic()
        self._tokens = min(self._capacity, self._tokens + (now - self._filled_at) * rate)
        self._filled_at = now
        if self._tokens >= 1:
            self._tokens -= 1
            return None
        return max(1, math.ceil((1 - self._tokens) / rate))

    def fails(self) -> bool:
        """Whether this request is answered with a failure (one draw per request, whatever the rate)."""
        return self.draw() < self.behaviour.server_failure_rate

    def draw(self) -> float:
        """The next number in [0, 1) of the seeded draws (a provider's own outcomes draw here too)."""
        return self._draws.random()
