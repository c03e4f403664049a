"""Fixtures of the pricing tests (monitoring, repricing, feed, notifications): the service's database
migrated (SQLite and PostgreSQL), catalogue rows written as the catalogue's use cases would leave
them, and the sandbox's marketplace and telegram providers served for real on a free port."""

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from marketplace.component import DEFINITION
from marketplace.config import Settings
from marketplace.models import Product, SalesPoint, Stock, Store, Tariff, TariffPurchase
from quintet_shared.db import make_engine, session_scope
from quintet_shared.migrations import upgrade
from quintet_shared.testing.thread_server import ThreadServer, serving
from sandbox.config import Settings as SandboxSettings
from sandbox.main import create_app as create_sandbox

BOT_TOKEN = "4242:test-bot-token"
CITY = "750000000"
SELLER = "seller"
SELLER_MERCHANT = "M-SELLER"


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    upgrade(DEFINITION.migrations, database_url)
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[ThreadServer]:
    settings = SandboxSettings(telegram_bot_token=BOT_TOKEN, marketplace_feed_seconds=3600)
    with serving(create_sandbox(settings)) as server:
        yield server


class Provider:
    """A sandbox provider as a test sees it: its own routes and §12's inspection routes."""

    def __init__(self, url: str) -> None:
        self.url = url

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.request(method, f"{self.url}{path}", timeout=30, **kwargs)

    def behave(self, **behaviour: Any) -> None:
        assert self.call("PUT", "/behaviour", json=behaviour).status_code == 200

    def received(self) -> list[dict[str, Any]]:
        return self.call("GET", "/received", params={"limit": 1000}).json()["items"]

    def reset(self) -> None:
        self.call("DELETE", "/received")


class Market(Provider):
    def set_offers(self, product_id: str, *offers: tuple[str, int]) -> None:
        body = {"offers": [{"merchantId": m, "merchantName": f"Shop {m}", "price": price} for m, price in offers]}
        assert self.call("PUT", f"/products/{product_id}/offers", json=body).status_code == 200

    def offers(self, product_id: str) -> list[tuple[str, int]]:
        body = {"cityId": CITY, "id": product_id, "limit": 100, "page": 0}
        answer = self.call("POST", f"/yml/offer-view/offers/{product_id}", json=body).json()
        return [(offer["merchantId"], offer["price"]) for offer in answer["offers"]]


@pytest.fixture
def market(sandbox_server: ThreadServer) -> Iterator[Market]:
    provider = Market(f"{sandbox_server.url}/sandbox/marketplace")
    provider.reset()
    yield provider
    provider.reset()


@pytest.fixture
def telegram(sandbox_server: ThreadServer) -> Iterator[Provider]:
    provider = Provider(f"{sandbox_server.url}/sandbox/telegram")
    provider.reset()
    yield provider
    provider.reset()


@pytest.fixture
def settings(database_url: str, market: Market, telegram: Provider) -> Settings:
    return Settings(
        database_url=database_url,
        offers_url=market.url,
        offers_rate_per_second=2000,
        offers_concurrency=8,
        offers_attempts=3,
        offers_timeout_seconds=5,
        telegram_url=telegram.url,
        telegram_bot_token=BOT_TOKEN,
    )


def add_store(engine: Engine, *, client: str = SELLER, merchant_id: str = SELLER_MERCHANT) -> Store:
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        store = Store(
            client=client,
            name="Seller Almaty",
            merchant_id=merchant_id,
            city_id=CITY,
            feed_token=secrets.token_urlsafe(24),
            created_at=now,
            updated_at=now,
        )
        session.add(store)
        session.flush()
        point = SalesPoint(
            client=client, store_id=store.id, name="PP1", address="Abay 1", created_at=now, updated_at=now
        )
        session.add(point)
    return store


def add_product(
    engine: Engine,
    sku: str,
    *,
    client: str = SELLER,
    marketplace_product_id: str | None = None,
    price: int = 100_000,
    low: int = 80_000,
    high: int = 120_000,
    step: int = 1_000,
    repricing: bool = True,
    stock: int = 5,
) -> Product:
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        product = Product(
            client=client,
            sku=sku,
            name=f"Item {sku}",
            marketplace_product_id=marketplace_product_id,
            price_cents=price,
            min_price_cents=low,
            max_price_cents=high,
            step_cents=step,
            repricing=repricing,
            created_at=now,
            updated_at=now,
        )
        session.add(product)
        session.flush()
        points = session.exec(select(SalesPoint).where(SalesPoint.client == client)).all()
        for point in points:
            session.add(
                Stock(product_id=product.id, sales_point_id=point.id, client=client, units=stock, updated_at=now)
            )
    return product


def add_tariff(engine: Engine, *, client: str = SELLER, limit: int, interval_seconds: int = 600) -> Tariff:
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        tariff = Tariff(
            code=f"t{limit}",
            name=f"Up to {limit}",
            price_cents=990_000,
            monitored_product_limit=limit,
            monitoring_interval_seconds=interval_seconds,
            created_at=now,
            updated_at=now,
        )
        session.add(tariff)
        session.flush()
        session.add(
            TariffPurchase(
                client=client,
                tariff_id=tariff.id,
                price_cents=990_000,
                currency="KZT",
                starts_at=now - timedelta(days=1),
                ends_at=now + timedelta(days=29),
                created_at=now,
            )
        )
    return tariff
