"""Everything one gateway process holds, built at the composition root and started in its lifespan."""

import asyncio
import gc
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.types import ASGIApp

from gateway import registry
from gateway.clientcache import ClientCache, ClientGrant
from gateway.config import Settings
from gateway.http_upstream import HttpUpstream
from gateway.metrics import ProxyMetrics
from gateway.migrate import migrate
from gateway.models import Client
from gateway.proxy import Proxy
from gateway.ratelimit import RateLimiter
from gateway.registrations import RegistrationBatcher
from gateway.session_auth import SessionAuth
from gateway.sessions import SessionCodec
from gateway.upstream_pool import PoolLimits
from gateway.upstreams import build_upstreams
from quintet_shared.clock import Clock, system_clock
from quintet_shared.db import make_engine
from quintet_shared.metrics import Metrics


class RuntimeLike(Protocol):
    """What embedded mode hands in: the engine, the bus and the clock (quintet_shared.runtime)."""

    engine: Engine
    bus: Any
    clock: Clock


class GatewayState:
    def __init__(
        self,
        settings: Settings,
        *,
        runtime: RuntimeLike | None,
        targets: Mapping[str, "str | ASGIApp"],
        run_migrations: bool,
    ) -> None:
        self.settings = settings
        self.runtime = runtime
        self.clock: Clock = runtime.clock if runtime is not None else system_clock
        limits = PoolLimits(
            max_connections=settings.max_connections,
            connect_timeout=settings.connect_timeout_seconds,
            silence_timeout=settings.timeout_seconds,
            # Services close idle connections after HTTP_KEEP_ALIVE_SECONDS (the same setting).
            keepalive=min(4.0, 0.8 * settings.http_keep_alive_seconds),
        )
        self.upstreams = build_upstreams(targets, limits)
        self.services = frozenset(self.upstreams)
        self.metrics = Metrics("gateway")
        self.clients = ClientCache(self._load_client, ttl=settings.client_cache_seconds)
        # Sign-in sessions name their client by code: a second cache, cleared with the first.
        self.clients_by_code = ClientCache(self._load_client_by_code, ttl=settings.client_cache_seconds)
        self.sessions = SessionAuth(
            SessionCodec(settings.session_secret, max_age_seconds=settings.session_max_age_seconds),
            self.clients_by_code,
        )
        self.proxy = Proxy(
            secret=settings.gateway_secret,
            upstreams=self.upstreams,
            clients=self.clients,
            limiter=RateLimiter(),
            metrics=ProxyMetrics(self.metrics.registry),
            public_rate_limit_per_minute=settings.public_rate_limit_per_minute,
            sessions=self.sessions,
        )
        self.login_limiter = RateLimiter()  # sign-in attempts per remote address
        self.registrations = RegistrationBatcher(
            lambda: self.engine,
            known_services=self.services,
            default_rate_limit=settings.default_rate_limit_per_minute,
            clock=self.clock,
        )
        self._run_migrations = run_migrations
        self._engine: Engine | None = runtime.engine if runtime is not None else None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            raise RuntimeError("the gateway's lifespan has not started")
        return self._engine

    async def start(self) -> None:
        if self._engine is None:
            self._engine = make_engine(self.settings.database_url)
        if self._run_migrations:
            url = self._engine.url.render_as_string(hide_password=False)
            await asyncio.to_thread(migrate, url)
        # Everything built so far (frameworks, ORM, settings) lives as long as the process: keep it
        # out of the collector's full passes, which would otherwise walk it and stall the request
        # path for tens of milliseconds (measured in bench/gateway.py as p99 spikes).
        gc.freeze()
        # Requests allocate many short-lived containers; collecting the young generation less often
        # costs nothing in memory here (they die by reference counting) and saves CPU.
        gc.set_threshold(50_000, 20, 100)

    async def close(self) -> None:
        for upstream in self.upstreams.values():
            if isinstance(upstream, HttpUpstream):
                await upstream.close()
        if self.runtime is None and self._engine is not None:
            self._engine.dispose()  # the runtime's owner disposes of its engine

    def forget_clients(self) -> None:
        """After a change to the registry: this process sees it at once (called on the event loop,
        which owns the caches); other processes follow within GATEWAY_CLIENT_CACHE_SECONDS."""
        self.clients.invalidate()
        self.clients_by_code.invalidate()

    async def _load_client(self, app_id_hash: str) -> ClientGrant | None:
        return await asyncio.to_thread(self._find_client, registry.find_by_app_id_hash, app_id_hash)

    async def _load_client_by_code(self, code: str) -> ClientGrant | None:
        return await asyncio.to_thread(self._find_client, registry.find_by_code, code)

    def _find_client(self, find: Callable[[Session, str], Client | None], key: str) -> ClientGrant | None:
        with Session(self.engine) as session:
            client = find(session, key)
            if client is None:
                return None
            return ClientGrant(
                code=client.code,
                services=frozenset(client.services),
                rate_limit_per_minute=client.rate_limit_per_minute,
                active=client.active,
                app_id_hash=client.app_id_hash,
            )
