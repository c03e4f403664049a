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


Loader = Callable[[str], Awaitable[ClientGrant | None]]


class ClientCache:
    """Entries live `ttl` seconds. Misses are cached too, so a flood of wrong app ids does not turn
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

    async def get(self, app_id_hash: str) -> ClientGrant | None:
        entry = self._entries.get(app_id_hash)
        if entry is not None and entry[1] > self._clock():
            return entry[0]
        pending = self._pending.get(app_id_hash)
        if pending is None:
            # The generation is taken now: the lookup itself only starts on a later turn of the loop.
            lookup = self._load(app_id_hash, self._generation, self._pending)
            pending = self._pending[app_id_hash] = asyncio.ensure_future(lookup)
        # Shielded: one caller going away must not cancel the lookup the others wait for.
        return await asyncio.shield(pending)

    def invalidate(self) -> None:
        """Forget everything: used by the admin API after each change, so this process sees it at once."""
        self._generation += 1
        self._entries.clear()
        # Lookups already under way may have read the old state: later callers start afresh.
        self._pending = {}

    async def _load(
        self, app_id_hash: str, generation: int, pending: dict[str, "asyncio.Future[ClientGrant | None]"]
    ) -> ClientGrant | None:
        try:
            grant = await self._loader(app_id_hash)
        finally:
            pending.pop(app_id_hash, None)
        if generation == self._generation:
            if len(self._entries) >= self._max_entries:
                self._entries.clear()
            self._entries[app_id_hash] = (grant, self._clock() + self._ttl)
        return grant
