"""Keep-alive connections to one service: reused last-in first-out, capped, with a bounded wait.

A slot is the right to hold one connection, open or opening. The pool owns the slots of its idle
connections; a request owns the slot of the connection it has checked out until it hands it back,
even if that connection dies meanwhile, so a retry can reconnect in the same slot without queueing.
Last-in first-out keeps the connections in use warm and lets the rest age out.
"""

import asyncio
import ssl
import time
from collections import deque
from dataclasses import dataclass
from urllib.parse import urlsplit

from gateway.upstream_connection import UpstreamConnection


class PoolTimeout(Exception):
    """No connection became free in time."""


class ConnectFailed(Exception):
    """A new connection could not be opened (refused, unreachable, unresolvable or too slow)."""


@dataclass(frozen=True, slots=True)
class PoolLimits:
    max_connections: int  # per service
    connect_timeout: float  # also bounds the wait for a free connection at the cap
    silence_timeout: float
    # Below the services' keep-alive (HTTP_KEEP_ALIVE_SECONDS): the gateway drops an idle
    # connection before the service does, and so rarely sends a request down one being closed.
    keepalive: float = 4.0


@dataclass(frozen=True, slots=True)
class Origin:
    host: str
    port: int
    tls: bool
    base_path: bytes  # prefixed to every request's target
    host_header: bytes  # sent when the caller's request has none

    @classmethod
    def parse(cls, url: str) -> "Origin":
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"upstream {url!r} is not an http:// or https:// URL")
        tls = parts.scheme == "https"
        port = parts.port or (443 if tls else 80)
        host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname  # an IPv6 literal
        host_header = host if parts.port is None else f"{host}:{parts.port}"  # never the credentials
        base_path = parts.path.rstrip("/").encode("latin-1")
        return cls(parts.hostname, port, tls, base_path, host_header.encode("idna"))


class ConnectionPool:
    def __init__(self, origin: Origin, limits: PoolLimits) -> None:
        self.origin = origin
        self.limits = limits
        self._idle: deque[UpstreamConnection] = deque()
        self._slots = 0
        self._waiters: deque[asyncio.Future[UpstreamConnection | None]] = deque()
        self._ssl = ssl.create_default_context() if origin.tls else None
        self._closed = False

    def take_idle(self) -> UpstreamConnection | None:
        """The most recently used idle connection that is still open, if there is one."""
        now = time.monotonic()
        idle = self._idle
        while idle:
            connection = idle.pop()
            connection.parked = False
            if connection.usable and now - connection.idle_since < self.limits.keepalive:
                return connection
            # Closed by the service, or too old to trust: dropped before it is used.
            connection.close()
            self._free_slot()
        return None

    async def acquire(self) -> tuple[UpstreamConnection, bool]:
        """A connection to send one request on, and whether it has served requests before."""
        if self._closed:
            raise PoolTimeout("the gateway is shutting down")
        connection = self.take_idle()
        if connection is not None:
            return connection, True
        if self._slots < self.limits.max_connections and not self._waiters:
            self._slots += 1
        else:
            connection = await self._wait_for_turn()
            if connection is not None:
                return connection, True
        return await self._connect(), False

    async def reconnect(self, connection: UpstreamConnection) -> UpstreamConnection:
        """A new connection in the slot of one that failed."""
        connection.abort()
        return await self._connect()

    def release(self, connection: UpstreamConnection) -> None:
        """Back from a request: kept for the next one if its exchange ended cleanly, else closed."""
        if not connection.reusable or self._closed:
            if connection.complete:
                connection.close()
            else:
                connection.abort()  # its state is unknown: no graceful goodbye
            self._free_slot()
            return
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(connection)  # straight from a finished exchange: known to be alive
                return
        now = time.monotonic()
        connection.park(now)
        self._idle.append(connection)
        self._expire_oldest(now)

    async def close(self) -> None:
        self._closed = True
        while self._idle:
            connection = self._idle.pop()
            connection.parked = False
            connection.close()
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_exception(PoolTimeout("the gateway is shutting down"))

    def _expire_oldest(self, now: float) -> None:
        while self._idle and now - self._idle[0].idle_since >= self.limits.keepalive:
            connection = self._idle.popleft()
            connection.parked = False
            connection.close()
            self._free_slot()

    async def _wait_for_turn(self) -> UpstreamConnection | None:
        """Waits for a connection handed back (returned) or a slot given up (None: connect in it)."""
        waiter: asyncio.Future[UpstreamConnection | None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(self.limits.connect_timeout):
                return await waiter
        except BaseException as exc:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                self._give_back(waiter.result())  # handed over just as the wait ended
            elif not waiter.done():
                waiter.cancel()
                self._waiters.remove(waiter)
            if isinstance(exc, TimeoutError):
                raise PoolTimeout(f"all {self.limits.max_connections} connections stayed busy") from None
            raise

    def _give_back(self, connection: UpstreamConnection | None) -> None:
        if connection is None:
            self._free_slot()
        else:
            self.release(connection)

    def _free_slot(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)  # the slot passes to the waiter as it is
                return
        self._slots -= 1

    async def _connect(self) -> UpstreamConnection:
        """Opens a connection in a slot the caller already owns; gives the slot up if that fails."""
        loop = asyncio.get_running_loop()
        origin = self.origin
        try:
            async with asyncio.timeout(self.limits.connect_timeout):
                _transport, connection = await loop.create_connection(
                    lambda: UpstreamConnection(loop, self.limits.silence_timeout, self._lost),
                    origin.host,
                    origin.port,
                    ssl=self._ssl,
                    server_hostname=origin.host if self._ssl else None,
                )
        except (OSError, TimeoutError) as exc:
            self._free_slot()
            raise ConnectFailed(f"cannot connect to {origin.host}:{origin.port} ({str(exc) or 'timed out'})") from exc
        except BaseException:
            self._free_slot()
            raise
        return connection

    def _lost(self, connection: UpstreamConnection) -> None:
        # Only an idle connection's slot is the pool's to free; a checked-out one is freed on release.
        if connection.parked:
            connection.parked = False
            self._idle.remove(connection)
            self._free_slot()
