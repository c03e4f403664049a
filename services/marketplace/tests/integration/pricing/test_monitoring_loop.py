"""Acceptance: a competitor undercuts a monitored product in the sandbox; within one monitoring round
the price changes, the history says why, the feed serves the new price, the sandbox's offers show
it, a Telegram message arrives in the sandbox, and an SSE stream open through the gateway gets it.

Everything runs for real: the marketplace service over HTTP behind the real gateway, the sandbox's
marketplace polling the seller's feed through the gateway's public path, the database (SQLite and
PostgreSQL)."""

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
from sqlmodel import Session, select

from gateway.config import Settings as GatewaySettings
from gateway.main import create_app as create_gateway
from marketplace.component import DEFINITION
from marketplace.config import Settings
from marketplace.models import PriceChange, Product
from marketplace.monitoring import run_round
from quintet_shared.bus.memory import InMemoryBus
from quintet_shared.clock import system_clock
from quintet_shared.component import create_service_app
from quintet_shared.runtime import Runtime
from quintet_shared.settings import DEV_ADMIN_TOKEN
from quintet_shared.tables import outbox_message
from quintet_shared.testing.loop_server import serving_in_loop

from .conftest import SELLER, SELLER_MERCHANT, Market, Provider, add_product, add_store


async def test_an_undercut_goes_live_everywhere_within_one_round(
    engine: Any, settings: Settings, market: Market, telegram: Provider, tmp_path: Path
) -> None:
    store = add_store(engine)
    product = add_product(engine, "HDP-1", marketplace_product_id="P100", price=100_000, low=80_000, step=1_000)
    bus = InMemoryBus()
    await bus.start()
    service = create_service_app(DEFINITION, settings, Runtime(engine=engine, bus=bus, owns_bus=False))
    gateway = create_gateway(
        GatewaySettings(database_url=f"sqlite:///{tmp_path / 'gateway.db'}"),
        upstreams={"marketplace": service},
        migrate=True,
    )
    try:
        async with (
            service.router.lifespan_context(service),
            serving_in_loop(gateway) as url,
            httpx.AsyncClient(base_url=url, timeout=30) as http,
        ):
            seller = await _register(http, SELLER)
            feed_url = f"{url}/marketplace/public/feeds/{store.feed_token}.xml"
            await _register_feed(market, feed_url, {"HDP-1": "P100"})
            assert market.offers("P100") == [(SELLER_MERCHANT, 1000)]  # the feed's price is listed

            market.set_offers("P100", ("RIVAL", 950), ("OTHER", 990))
            put = await http.put(
                "/marketplace/notifications/settings",
                headers=seller,
                json={"telegram_chat_id": "4242", "events": ["marketplace.price.changed"]},
            )
            assert put.status_code == 200, put.text
            received: list[dict[str, Any]] = []
            listening = asyncio.Event()
            stream = asyncio.create_task(_listen(http, seller, received, listening))
            await asyncio.wait_for(listening.wait(), 10)

            summary = await run_round(engine, settings, client=SELLER, clock=system_clock)

            assert (summary.counts.changed, summary.counts.fetched, summary.notified) == (1, 1, 1)
            await asyncio.wait_for(_until(lambda: bool(received)), 10)
            stream.cancel()
            feed = await http.get(f"/marketplace/public/feeds/{store.feed_token}.xml")
            assert feed.status_code == 200 and "<price>940</price>" in feed.text
            await asyncio.to_thread(market.call, "POST", "/feeds/poll")
            status = (await http.get(f"/marketplace/stores/{store.id}/feed", headers=seller)).json()
        assert market.offers("P100") == [(SELLER_MERCHANT, 940), ("RIVAL", 950), ("OTHER", 990)]
    finally:
        await bus.close()

    with Session(engine) as session:
        assert session.get(Product, product.id).price_cents == 94_000  # type: ignore[union-attr]
        (change,) = session.exec(select(PriceChange).where(PriceChange.product_id == product.id)).all()
        types = session.execute(select(outbox_message.c.type, outbox_message.c.body)).all()
    assert (change.rule, change.competitor_merchant_id, change.competitor_price_cents) == ("undercut", "RIVAL", 95_000)
    assert (change.old_price_cents, change.new_price_cents, change.applied, change.clamp) == (
        100_000,
        94_000,
        True,
        None,
    )
    assert change.detail["ignored"] == [SELLER_MERCHANT]  # the seller's own offer is not a competitor
    priced = [json.loads(body)["data"] for kind, body in types if kind == "marketplace.price.changed"]
    assert [(d["sku"], d["old_price_cents"], d["new_price_cents"], d["rule"]) for d in priced] == [
        ("HDP-1", 100_000, 94_000, "undercut")
    ]
    (message,) = telegram.received()
    assert message["chat_id"] == 4242 and "1 000 → 940 KZT" in message["text"] and "RIVAL" in message["text"]
    assert received[0]["event"] == "marketplace.price.changed"
    assert received[0]["data"]["data"]["new_price_cents"] == 94_000
    assert len(status["fetches"]) >= 2 and status["offers"] == 1
    assert status["fetches"][0]["user_agent"].startswith("QuintetSandboxMarketplace")


async def _register(http: httpx.AsyncClient, code: str) -> dict[str, str]:
    admin = {"Authorization": f"Bearer {DEV_ADMIN_TOKEN}"}
    created = await http.post(
        "/admin/clients", headers=admin, json={"code": code, "name": code, "services": ["marketplace"]}
    )
    assert created.status_code == 201, created.text
    return {"X-App-Id": created.json()["app_id"]}


async def _register_feed(market: Market, url: str, products: dict[str, str]) -> None:
    answer = await asyncio.to_thread(
        market.call, "PUT", f"/feeds/{SELLER_MERCHANT}", json={"url": url, "products": products}
    )
    assert answer.status_code == 200, answer.text
    polled = (await asyncio.to_thread(market.call, "POST", "/feeds/poll")).json()["feeds"][0]
    assert polled["lastStatus"] == "ok", polled


async def _listen(
    http: httpx.AsyncClient, headers: dict[str, str], into: list[dict[str, Any]], ready: asyncio.Event
) -> None:
    async with http.stream("GET", "/marketplace/notifications/stream", headers=headers) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        event: dict[str, Any] = {}
        async for line in response.aiter_lines():
            ready.set()
            if line.startswith("event: "):
                event["event"] = line.removeprefix("event: ")
            elif line.startswith("data: "):
                event["data"] = json.loads(line.removeprefix("data: "))
            elif line == "" and "event" in event:
                into.append(event)
                event = {}


async def _until(condition: Any) -> None:
    while not condition():
        await asyncio.sleep(0.05)
