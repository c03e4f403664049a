"""The marketplace learns sellers' prices the way Kaspi does: by polling each seller's XML price list.

A seller's feed is registered with `PUT /sandbox/marketplace/feeds/{merchant_id}` `{"url", "products":
{"<sku>": "<product id>"}}` (the binding of the seller's SKUs to the marketplace's product cards, which
Kaspi's merchant cabinet keeps). Every `SANDBOX_MARKETPLACE_FEED_SECONDS` each feed is fetched over
real HTTP and read; its available offers (an `<availability available="yes">`) of bound SKUs are then
listed at the feed's `<price>` under the feed's `<company>` name, replacing the merchant's listing
whole. A feed that cannot be fetched or read leaves the last good listing in place, as Kaspi keeps
the last price list it accepted, and says why in `GET /sandbox/marketplace/feeds`.
`POST /sandbox/marketplace/feeds/poll` reads every feed now (tests need not wait for the timer).

The XML is the price list's shape (namespace `kaspiShopping`):
`<kaspi_catalog><company/><merchantid/><offers><offer sku><model/><availabilities><availability
available storeId/></availabilities><price/></offer></offers></kaspi_catalog>`. Its size, offers and
text lengths are bounded before it is trusted; expat refuses entity expansion bombs.
"""

import asyncio
import contextlib
import logging
import re
import xml.etree.ElementTree as ET  # bounded input; expat >= 2.4 stops entity bombs
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from quintet_shared.errors import problem_response
from sandbox.config import Settings
from sandbox.marketplace_offers import PRODUCT_ID, OfferBook, OfferView

log = logging.getLogger(__name__)

NAMESPACE = "{kaspiShopping}"
MAX_FEED_BYTES = 64 * 1024 * 1024
MAX_OFFERS = 200_000
MAX_PRICE = 10**12
MERCHANT_ID = r"^[A-Za-z0-9_-]{1,64}$"
POLL_CONCURRENCY = 8
USER_AGENT = "QuintetSandboxMarketplace/1.0 (price feed poller)"


class FeedRegistration(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: HttpUrl = Field(description="Where the seller's XML price list is served")
    products: dict[str, str] = Field(
        default_factory=dict, max_length=MAX_OFFERS, description="The seller's SKU -> the marketplace's product id"
    )


class FeedStatus(BaseModel):
    merchantId: str
    merchantName: str | None
    url: str
    polls: int
    lastPolledAt: datetime | None
    lastStatus: str | None  # "ok" or "error"
    lastError: str | None
    offersListed: int
    unmatchedSkus: int


class FeedList(BaseModel):
    feeds: list[FeedStatus]


class FeedError(ValueError):
    """A feed that cannot be read; its message says why."""


@dataclass
class Feed:
    merchant_id: str
    url: str
    products: dict[str, str]
    merchant_name: str | None = None
    polls: int = 0
    last_polled_at: datetime | None = None
    last_status: str | None = None
    last_error: str | None = None
    offers_listed: int = 0
    unmatched_skus: int = 0

    def status(self) -> FeedStatus:
        return FeedStatus(
            merchantId=self.merchant_id,
            merchantName=self.merchant_name,
            url=self.url,
            polls=self.polls,
            lastPolledAt=self.last_polled_at,
            lastStatus=self.last_status,
            lastError=self.last_error,
            offersListed=self.offers_listed,
            unmatchedSkus=self.unmatched_skus,
        )


@dataclass
class ParsedFeed:
    company: str
    merchant_id: str
    prices: dict[str, int] = field(default_factory=dict)  # available SKUs -> whole tenge


def parse_feed(body: bytes) -> ParsedFeed:
    """Read a price list, or raise FeedError saying what is wrong with it."""
    if len(body) > MAX_FEED_BYTES:
        raise FeedError(f"the feed is larger than {MAX_FEED_BYTES} bytes")
    try:
        root = ET.fromstring(body)  # noqa: S314
    except ET.ParseError as exc:
        raise FeedError(f"not well-formed XML: {exc}") from exc
    if root.tag != f"{NAMESPACE}kaspi_catalog":
        raise FeedError(f"the root element is {root.tag!r}, not kaspi_catalog in namespace kaspiShopping")
    parsed = ParsedFeed(company=_text(root, "company"), merchant_id=_text(root, "merchantid"))
    offers = root.find(f"{NAMESPACE}offers")
    for count, offer in enumerate(offers if offers is not None else (), start=1):
        if count > MAX_OFFERS:
            raise FeedError(f"more than {MAX_OFFERS} offers")
        sku = (offer.get("sku") or "").strip()
        if not sku or len(sku) > 64:
            raise FeedError(f"offer {count} has no sku, or one longer than 64 characters")
        if _available(offer):
            parsed.prices[sku] = _price(offer, sku)
    return parsed


def _text(element: ET.Element, name: str) -> str:
    text = (element.findtext(f"{NAMESPACE}{name}") or "").strip()
    if not text or len(text) > 255:
        raise FeedError(f"<{name}> is missing, empty or longer than 255 characters")
    return text


def _available(offer: ET.Element) -> bool:
    return any(a.get("available") == "yes" for a in offer.iter(f"{NAMESPACE}availability"))


def _price(offer: ET.Element, sku: str) -> int:
    text = (offer.findtext(f"{NAMESPACE}price") or "").strip()
    if not text.isdigit() or len(text) > 13 or int(text) > MAX_PRICE:
        raise FeedError(f"offer {sku!r} has no price in whole tenge")
    return int(text)


class FeedPoller:
    """The registered feeds and the loop that reads them into the offer book."""

    def __init__(self, settings: Settings, book: OfferBook) -> None:
        self.settings = settings
        self.book = book
        self.feeds: dict[str, Feed] = {}
        self._http: httpx.AsyncClient | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        timeout = self.settings.marketplace_feed_timeout_seconds
        self._http = httpx.AsyncClient(timeout=timeout, headers={"User-Agent": USER_AGENT})
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._http is not None:
            await self._http.aclose()

    def register(self, merchant_id: str, registration: FeedRegistration) -> Feed:
        self.feeds[merchant_id] = Feed(merchant_id, str(registration.url), dict(registration.products))
        return self.feeds[merchant_id]

    def forget(self, merchant_id: str) -> bool:
        self.book.replace_listing(merchant_id, {})
        return self.feeds.pop(merchant_id, None) is not None

    def clear(self) -> None:
        self.feeds.clear()

    async def poll_all(self) -> None:
        limit = asyncio.Semaphore(POLL_CONCURRENCY)

        async def one(feed: Feed) -> None:
            async with limit:
                await self.poll(feed)

        await asyncio.gather(*(one(feed) for feed in list(self.feeds.values())))

    async def poll(self, feed: Feed) -> None:
        feed.polls += 1
        feed.last_polled_at = datetime.now(UTC)
        try:
            parsed = parse_feed(await self._fetch(feed.url))
            if parsed.merchant_id != feed.merchant_id:
                raise FeedError(f"<merchantid> is {parsed.merchant_id!r}, registered as {feed.merchant_id!r}")
        except (FeedError, httpx.HTTPError) as exc:
            feed.last_status, feed.last_error = "error", f"{type(exc).__name__}: {exc}"[:500]
            log.info("price feed of %s not read: %s", feed.merchant_id, feed.last_error)
            return
        listing = {
            feed.products[sku]: OfferView(
                merchantId=feed.merchant_id, merchantName=parsed.company, merchantSku=sku, price=price
            )
            for sku, price in parsed.prices.items()
            if sku in feed.products
        }
        self.book.replace_listing(feed.merchant_id, listing)
        feed.merchant_name = parsed.company
        feed.offers_listed = len(listing)
        feed.unmatched_skus = len(parsed.prices) - len(listing)
        feed.last_status, feed.last_error = "ok", None

    async def _fetch(self, url: str) -> bytes:
        assert self._http is not None, "the poller is not started"
        chunks: list[bytes] = []
        size = 0
        async with self._http.stream("GET", url) as response:
            if response.status_code != 200:
                raise FeedError(f"the feed's server answered HTTP {response.status_code}")
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > MAX_FEED_BYTES:
                    raise FeedError(f"the feed is larger than {MAX_FEED_BYTES} bytes")
                chunks.append(chunk)
        return b"".join(chunks)

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.marketplace_feed_seconds)
            try:
                await self.poll_all()
            except Exception:  # one bad round never stops the poller
                log.exception("price feed round failed")


def feeds_router(poller: FeedPoller) -> APIRouter:
    router = APIRouter(prefix="/feeds", tags=["sandbox marketplace"])

    @router.get("", response_model=FeedList)
    async def list_feeds() -> FeedList:
        """Every registered feed and how its last reading went."""
        return FeedList(feeds=[feed.status() for feed in poller.feeds.values()])

    @router.post("/poll", response_model=FeedList)
    async def poll_now() -> FeedList:
        """Read every feed now, as the timer would."""
        await poller.poll_all()
        return FeedList(feeds=[feed.status() for feed in poller.feeds.values()])

    @router.put("/{merchant_id}", response_model=FeedStatus, responses={422: {"description": "Malformed"}})
    async def register(merchant_id: str, body: FeedRegistration) -> FeedStatus | Response:
        """Register (or replace) a merchant's feed; it is read at the next poll."""
        bad = [v for v in body.products.values() if re.fullmatch(PRODUCT_ID, v) is None]
        if re.fullmatch(MERCHANT_ID, merchant_id) is None or bad:
            return problem_response(422, "merchant ids and product ids are 1-64 of A-Z a-z 0-9 _ -")
        return poller.register(merchant_id, body).status()

    @router.delete("/{merchant_id}", status_code=204, responses={404: {"description": "Not registered"}})
    async def forget(merchant_id: str) -> Response:
        """Stop polling a merchant's feed and unlist its offers."""
        if not poller.forget(merchant_id):
            return problem_response(404, "No feed is registered for this merchant.")
        return Response(status_code=204)

    return router
