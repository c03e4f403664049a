"""The marketplace's offers API, as monitoring calls it: every page of a product's offers in a city.

`POST {offers_url}/yml/offer-view/offers/{product_id}` `{"cityId", "id", "limit", "page"}` →
`{"offers": [{"merchantId", "merchantName", "price", ...}], "total"}`, prices in whole tenge (turned
into cents here), pages from 0. A product's pages are read until `total` offers are in hand (or a
page comes back short, or `max_pages`). Requests go out at most `rate_per_second` (the marketplace
blocks scrapers that hammer it) with at most `concurrency` in flight; a page is retried with
exponential backoff and jitter on connection errors, timeouts and 5xx, and after the marketplace's
`Retry-After` on 429, `attempts` tries in all. Every other answer (4xx, a body that is not the
shape above) fails that product only: monitoring records the error and goes on.

aiohttp rather than httpx: under a few dozen concurrent requests httpx's pool costs most of the
time (MEASURED.md: 350-450 requests/s against 7,000 through aiohttp).
"""

import asyncio
import random
from dataclasses import dataclass
from typing import Any

import aiohttp
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt

from marketplace.repricing import Offer
from quintet_shared.rate_limiter import RateLimiter

CLIENT_HEADER = "X-Client-Code"  # whom the request is for, as the sandbox lists it
MAX_RETRY_AFTER = 60.0
MAX_FIELD = 255


class OffersError(Exception):
    """A product's offers could not be read; the message says why."""


class _Retryable(OffersError):
    def __init__(self, detail: str, retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


@dataclass(frozen=True)
class ProductOffers:
    offers: list[Offer]
    total: int


@dataclass(frozen=True)
class OffersSettings:
    url: str
    concurrency: int = 32
    rate_per_second: float = 100.0
    page_size: int = 50
    max_pages: int = 20
    attempts: int = 4
    timeout_seconds: float = 10.0
    backoff_seconds: float = 0.2


class OffersClient:
    def __init__(self, settings: OffersSettings, *, client: str) -> None:
        self.settings = settings
        self.client = client
        self._base = settings.url.rstrip("/") + "/yml/offer-view/offers/"
        self._slots = asyncio.Semaphore(settings.concurrency)
        self._limiter = RateLimiter(settings.rate_per_second, burst=settings.concurrency)
        self._http: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> "OffersClient":
        connector = aiohttp.TCPConnector(limit=self.settings.concurrency, ttl_dns_cache=300)
        timeout = aiohttp.ClientTimeout(total=self.settings.timeout_seconds)
        self._http = aiohttp.ClientSession(connector=connector, timeout=timeout, headers={CLIENT_HEADER: self.client})
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self._http is not None:
            await self._http.close()

    async def product_offers(self, product_id: str, city_id: str) -> ProductOffers:
        """Every offer of the product in the city, or OffersError."""
        offers: list[Offer] = []
        total = 0
        for page in range(self.settings.max_pages):
            batch, total = await self._page(product_id, city_id, page)
            offers.extend(batch)
            if len(offers) >= total or len(batch) < self.settings.page_size:
                break
        return ProductOffers(offers, total)

    async def _page(self, product_id: str, city_id: str, page: int) -> tuple[list[Offer], int]:
        retrying = AsyncRetrying(
            retry=retry_if_exception_type((_Retryable, aiohttp.ClientError, asyncio.TimeoutError)),
            stop=stop_after_attempt(self.settings.attempts),
            wait=self._wait,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._post(product_id, city_id, page)
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise OffersError(f"the offers API did not answer: {type(exc).__name__} {exc}".strip()) from exc
        raise AssertionError("unreachable: tenacity reraises the last error")  # pragma: no cover

    async def _post(self, product_id: str, city_id: str, page: int) -> tuple[list[Offer], int]:
        assert self._http is not None, "use the client as an async context manager"
        body = {"cityId": city_id, "id": product_id, "limit": self.settings.page_size, "page": page}
        async with self._slots:
            await self._limiter.acquire()
            async with self._http.post(self._base + product_id, json=body) as response:
                if response.status == 429:
                    raise _Retryable("throttled (429)", _retry_after(response.headers.get("Retry-After")))
                if response.status >= 500:
                    raise _Retryable(f"HTTP {response.status}")
                if response.status != 200:
                    raise OffersError(f"the offers API refused the request: HTTP {response.status}")
                try:
                    answer = await response.json(content_type=None)
                except ValueError as exc:
                    raise OffersError("the offers API answered with something that is not JSON") from exc
        return _read(answer)

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, _Retryable) and error.retry_after is not None:
            return error.retry_after
        base = self.settings.backoff_seconds * 2 ** (state.attempt_number - 1)
        return base + random.uniform(0, self.settings.backoff_seconds)  # jitter, not a secret


def _read(answer: Any) -> tuple[list[Offer], int]:
    """The page's offers in cents, and the total; OffersError for any other shape."""
    if not isinstance(answer, dict) or not isinstance(answer.get("offers"), list):
        raise OffersError("the offers API's answer has no list of offers")
    total = answer.get("total", len(answer["offers"]))
    if not isinstance(total, int) or isinstance(total, bool) or total < 0:
        raise OffersError("the offers API's total is not a count")
    return [_offer(item) for item in answer["offers"]], total


def _offer(item: Any) -> Offer:
    if not isinstance(item, dict):
        raise OffersError("an offer is not an object")
    merchant_id, name, price = item.get("merchantId"), item.get("merchantName", ""), item.get("price")
    if not isinstance(merchant_id, str | int) or isinstance(merchant_id, bool) or not str(merchant_id):
        raise OffersError("an offer has no merchantId")
    if not isinstance(price, int | float) or isinstance(price, bool) or not 0 <= price < 10**12:
        raise OffersError(f"the offer of merchant {str(merchant_id)[:64]!r} has no price")
    return Offer(
        merchant_id=str(merchant_id)[:64],
        merchant_name=str(name)[:MAX_FIELD],
        price_cents=round(price * 100),  # whole tenge (a fraction, if ever sent, kept to the tiyn)
    )


def _retry_after(value: str | None) -> float:
    try:
        seconds = float(value) if value is not None else 1.0
    except ValueError:
        seconds = 1.0
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)
