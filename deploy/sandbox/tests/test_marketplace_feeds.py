"""The marketplace polls sellers' XML price lists over real HTTP and lists their offers at its prices."""

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from quintet_shared.testing.thread_server import serving
from sandbox.config import Settings
from sandbox.main import create_app
from sandbox.marketplace_feeds import FeedError, parse_feed

ALMATY = "750000000"


def price_list(merchant: str, offers: list[tuple[str, int, bool]], company: str = "Seller Ltd") -> bytes:
    items = "".join(
        f'<offer sku="{sku}"><model>Item {sku}</model><availabilities>'
        f'<availability available="{"yes" if available else "no"}" storeId="PP1"/></availabilities>'
        f"<price>{price}</price></offer>"
        for sku, price, available in offers
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<kaspi_catalog date="2026-12-01T10:00:00+05:00" xmlns="kaspiShopping">'
        f"<company>{company}</company><merchantid>{merchant}</merchantid><offers>{items}</offers></kaspi_catalog>"
    ).encode()


class FeedServer:
    """A seller's feed: the body it serves can be changed, and it counts the fetches."""

    def __init__(self) -> None:
        self.body = b""
        self.status = 200
        self.fetches = 0

        async def feed(request: Request) -> Response:
            self.fetches += 1
            return Response(self.body, status_code=self.status, media_type="application/xml")

        self.app = Starlette(routes=[Route("/feed.xml", feed)])


@pytest.fixture
def seller() -> Iterator[tuple[FeedServer, str]]:
    feed = FeedServer()
    with serving(feed.app) as running:
        yield feed, f"{running.url}/feed.xml"


@pytest.fixture
def market() -> Iterator[str]:
    with serving(create_app(Settings(marketplace_feed_seconds=0.2))) as running:
        yield f"{running.url}/sandbox/marketplace"


def offers(market: str, product: str) -> list[dict[str, Any]]:
    body = {"cityId": ALMATY, "id": product, "limit": 100, "page": 0}
    return httpx.post(f"{market}/yml/offer-view/offers/{product}", json=body).json()["offers"]


def register(market: str, url: str, merchant: str = "M1", **products: str) -> httpx.Response:
    return httpx.put(f"{market}/feeds/{merchant}", json={"url": url, "products": products})


def test_the_sellers_offer_is_listed_at_the_feeds_price_beside_competitors(
    market: str, seller: tuple[FeedServer, str]
) -> None:
    feed, url = seller
    feed.body = price_list("M1", [("SKU-1", 1190, True), ("SKU-2", 500, True)])
    httpx.put(
        f"{market}/products/P1/offers", json={"offers": [{"merchantId": "C", "merchantName": "C", "price": 1200}]}
    )
    assert register(market, url, **{"SKU-1": "P1", "SKU-2": "P2"}).status_code == 200
    statuses = httpx.post(f"{market}/feeds/poll").json()["feeds"]
    assert statuses[0]["lastStatus"] == "ok" and statuses[0]["offersListed"] == 2
    listed = offers(market, "P1")
    assert [(o["merchantId"], o["merchantName"], o["merchantSku"], o["price"]) for o in listed] == [
        ("M1", "Seller Ltd", "SKU-1", 1190),
        ("C", "C", None, 1200),
    ]


def test_a_new_price_replaces_the_old_and_an_unavailable_offer_is_unlisted(
    market: str, seller: tuple[FeedServer, str]
) -> None:
    feed, url = seller
    feed.body = price_list("M1", [("SKU-1", 1190, True), ("SKU-2", 500, True)])
    register(market, url, **{"SKU-1": "P1", "SKU-2": "P2"})
    httpx.post(f"{market}/feeds/poll")
    feed.body = price_list("M1", [("SKU-1", 1150, True), ("SKU-2", 500, False)])
    httpx.post(f"{market}/feeds/poll")
    assert [o["price"] for o in offers(market, "P1")] == [1150]
    assert offers(market, "P2") == []


def test_the_timer_polls_every_feed(market: str, seller: tuple[FeedServer, str]) -> None:
    feed, url = seller
    feed.body = price_list("M1", [("SKU-1", 990, True)])
    register(market, url, **{"SKU-1": "P1"})
    deadline = time.monotonic() + 5
    while not offers(market, "P1") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [o["price"] for o in offers(market, "P1")] == [990]
    assert feed.fetches >= 1


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        (b"<not xml", 200, "not well-formed"),
        (b"<catalog/>", 200, "root element"),
        (price_list("OTHER", [("SKU-1", 1, True)]), 200, "registered as"),
        (price_list("M1", [("SKU-1", 1, True)]), 500, "HTTP 500"),
    ],
    ids=["not xml", "wrong root", "another merchant", "server error"],
)
def test_a_feed_that_cannot_be_read_keeps_the_last_good_listing(
    market: str, seller: tuple[FeedServer, str], body: bytes, status: int, reason: str
) -> None:
    feed, url = seller
    feed.body = price_list("M1", [("SKU-1", 1190, True)])
    register(market, url, **{"SKU-1": "P1"})
    httpx.post(f"{market}/feeds/poll")
    feed.body, feed.status = body, status
    status_now = httpx.post(f"{market}/feeds/poll").json()["feeds"][0]
    assert status_now["lastStatus"] == "error" and reason in status_now["lastError"]
    assert [o["price"] for o in offers(market, "P1")] == [1190]


def test_unbound_skus_are_counted_not_listed(market: str, seller: tuple[FeedServer, str]) -> None:
    feed, url = seller
    feed.body = price_list("M1", [("SKU-1", 1190, True), ("SKU-9", 10, True)])
    register(market, url, **{"SKU-1": "P1"})
    status = httpx.post(f"{market}/feeds/poll").json()["feeds"][0]
    assert (status["offersListed"], status["unmatchedSkus"]) == (1, 1)


def test_forgetting_a_feed_unlists_its_offers(market: str, seller: tuple[FeedServer, str]) -> None:
    feed, url = seller
    feed.body = price_list("M1", [("SKU-1", 1190, True)])
    register(market, url, **{"SKU-1": "P1"})
    httpx.post(f"{market}/feeds/poll")
    assert httpx.delete(f"{market}/feeds/M1").status_code == 204
    assert offers(market, "P1") == []
    assert httpx.delete(f"{market}/feeds/M1").status_code == 404


@pytest.mark.parametrize(
    "registration",
    [{"url": "not a url"}, {"url": "http://x/feed.xml", "products": {"SKU": "bad id!"}}],
)
def test_malformed_registrations_are_422(market: str, registration: dict[str, Any]) -> None:
    assert httpx.put(f"{market}/feeds/M1", json=registration).status_code == 422


def test_an_entity_bomb_is_refused() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">'
        b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;">'
        b'<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">'
        b'<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">'
        b'<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">]>'
        b'<kaspi_catalog xmlns="kaspiShopping"><company>&lol7;</company></kaspi_catalog>'
    )
    with pytest.raises(FeedError):
        parse_feed(bomb)


def test_an_offer_without_a_price_fails_the_feed() -> None:
    body = price_list("M1", [("SKU-1", 1, True)]).replace(b"<price>1</price>", b"<price>one</price>")
    with pytest.raises(FeedError, match="no price"):
        parse_feed(body)
