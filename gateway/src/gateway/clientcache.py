"""Clients by app-id hash, cached in-process so that the request path rarely touches the database."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ClientGrant:
    """What the proxy needs to know about a client on each request."""

    code: str
    services: frozenset[str]
    rate_limit_per_minute: int
    active: bool
    app_id_hash: str = ""  # what a sign-in session is bound to (gateway.sessions)


Loader = Callable[[str], Awaitable[ClientGrant | None]]


class ClientCache:
    """Clients by a key (the app id hash on the request path, the code for sign-in sessions).

    Entries live `ttl` seconds. Misses are cached too, so a flood of wrong app ids does not turn
    into a flood of queries; concurrent misses for one hash share a single lookup."""

    def __init__(
        self, loader: Loader, *, ttl: float, clock: Callable[[], float] = time.monotonic, max_entries: int = 10_000
    ) -> None:
        self._loader = loader
        self._ttl = ttl
        self._clock = clock
        self._max_entries = max_entries
        self._entries: dict[str, tuple[ClientGrant | None, float]] = {}
        self._pending: dict[str, asyncio.Future[ClientGrant | None]] = {}
        self._generation = 0

    async def get(self, key: str) -> ClientGrant | None:
        entry = self._entries.get(key)
        if entry is not None and entry[1] > self._clock():
            return entry[0]
        pending = self._pending.get(key)
        if pending is None:
            # The generation is taken now: the lookup itself only starts on a later turn of the loop.
            lookup = self._load(key, self._generation, self._pending)
            pending = self._pending[key] = asyncio.ensure_future(lookup)
        # Shielded: one caller going away must not cancel the lookup the others wait for.
        return await asyncio.shield(pending)

    def invalidate(self) -> None:
        """Forget everything: used by the admin API after each change, so this process sees it at once."""
        self._generation += 1
        self._entries.clear()
        # Lookups already under way may have read the old state: later callers start afresh.
        self._pending = {}

    async def _load(
        self, key: str, generation: int, pending: dict[str, "asyncio.Future[ClientGrant | None]"]
    ) -> ClientGrant | None:
        try:
            grant = await self._loader(key)
        finally:
            pending.pop(key, None)
        if generation == self._generation:
            if len(self._entries) >= self._max_entries:
                self._entries.clear()
            self._entries[key] = (grant, self._clock() + self._ttl)
        return grant
