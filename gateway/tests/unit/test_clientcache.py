import asyncio

from gateway.clientcache import ClientCache, ClientGrant

GRANT = ClientGrant(code="a", services=frozenset({"crm"}), rate_limit_per_minute=10, active=True)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Loader:
    """A registry stand-in that counts lookups and can be held back."""

    def __init__(self, found: dict[str, ClientGrant]) -> None:
        self.found = found
        self.calls = 0
        self.gate = asyncio.Event()
        self.gate.set()

    async def __call__(self, key: str) -> ClientGrant | None:
        self.calls += 1
        await self.gate.wait()
        return self.found.get(key)


async def test_hits_and_misses_are_cached_until_the_ttl():
    clock, loader = Clock(), Loader({"h": GRANT})
    cache = ClientCache(loader, ttl=5, clock=clock)
    assert await cache.get("h") == GRANT
    assert await cache.get("unknown") is None
    assert await cache.get("h") == GRANT
    assert await cache.get("unknown") is None
    assert loader.calls == 2
    clock.now = 5.0
    await cache.get("h")
    assert loader.calls == 3


async def test_concurrent_misses_share_one_lookup():
    loader = Loader({"h": GRANT})
    loader.gate.clear()
    cache = ClientCache(loader, ttl=5, clock=Clock())
    waiting = [asyncio.ensure_future(cache.get("h")) for _ in range(10)]
    await asyncio.sleep(0)
    loader.gate.set()
    assert await asyncio.gather(*waiting) == [GRANT] * 10
    assert loader.calls == 1


async def test_invalidate_forgets_and_drops_lookups_under_way():
    loader = Loader({"h": GRANT})
    cache = ClientCache(loader, ttl=60, clock=Clock())
    await cache.get("h")
    loader.found = {}
    cache.invalidate()
    assert await cache.get("h") is None

    loader.gate.clear()
    stale = asyncio.ensure_future(cache.get("x"))
    await asyncio.sleep(0)
    cache.invalidate()
    loader.found = {"x": GRANT}
    loader.gate.set()
    await stale
    calls = loader.calls
    assert await cache.get("x") == GRANT  # looked up afresh, not taken from the stale lookup
    assert loader.calls == calls + 1


async def test_a_cancelled_caller_does_not_cancel_the_shared_lookup():
    loader = Loader({"h": GRANT})
    loader.gate.clear()
    cache = ClientCache(loader, ttl=5, clock=Clock())
    first = asyncio.ensure_future(cache.get("h"))
    second = asyncio.ensure_future(cache.get("h"))
    await asyncio.sleep(0)
    first.cancel()
    loader.gate.set()
    assert await second == GRANT
