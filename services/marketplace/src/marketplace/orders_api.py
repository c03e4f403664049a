"""A client of the marketplace's orders API (Kaspi.kz's `GET /v2/orders`, JSON:API), one page at a
time: `X-Auth-Token`, `page[number]` (from 0), `page[size]` (at most 100) and the required creation
date filter in epoch milliseconds; entries asked with `include=entries`.

Connection errors, timeouts, 429 and 5xx are retried (exponential backoff from 0.2 s, a 429's
`Retry-After` honoured up to 30 s) up to `attempts` tries; any other answer is final. What comes back
is checked before it is trusted (types, sizes), so a broken or hostile answer is an OrdersApiError,
never a crash of the sync.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

JSON_API = "application/vnd.api+json"
MAX_RETRY_AFTER = 30.0


class OrdersApiError(RuntimeError):
    """The marketplace did not give the page (refused the token, failed past the retries, answered
    something that is not an orders page)."""


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _Customer(_Lenient):
    name: str = Field("", max_length=400)
    firstName: str | None = Field(None, max_length=200)
    lastName: str | None = Field(None, max_length=200)
    email: str | None = Field(None, max_length=320)


class _OrderAttributes(_Lenient):
    code: str | None = Field(None, max_length=64)
    creationDate: int = Field(ge=0, le=2**53)
    state: str | None = Field(None, max_length=64)
    status: str | None = Field(None, max_length=64)
    pickupPointId: str | None = Field(None, max_length=200)
    customer: _Customer = Field(default_factory=_Customer)


class _Resource(_Lenient):
    type: str = Field(max_length=64)
    id: str = Field(min_length=1, max_length=64)
    attributes: dict[str, Any] = Field(default_factory=dict)
    relationships: dict[str, Any] = Field(default_factory=dict)


class _Offer(_Lenient):
    code: str = Field(min_length=1, max_length=100)
    name: str = Field("", max_length=500)


class _EntryAttributes(_Lenient):
    quantity: int = Field(ge=1, le=1_000_000)
    basePrice: float = Field(ge=0, le=10**12)
    offer: _Offer


class _Page(_Lenient):
    data: list[_Resource] = Field(max_length=100)
    included: list[_Resource] = Field(default_factory=list, max_length=10_000)
    meta: dict[str, Any] = Field(default_factory=dict)


@dataclass(frozen=True)
class MarketplaceEntry:
    sku: str
    name: str
    quantity: int
    price_cents: int  # per unit


@dataclass(frozen=True)
class MarketplaceOrder:
    id: str
    code: str | None
    created_at: datetime
    state: str | None
    status: str | None
    pickup_point_id: str | None
    customer_name: str
    customer_email: str | None
    entries: list[MarketplaceEntry]


@dataclass(frozen=True)
class OrdersPage:
    orders: list[MarketplaceOrder]
    page_count: int


class OrdersApi:
    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 10.0,
        attempts: int = 3,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._http = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout, transport=transport)
        self._attempts = attempts
        self._sleep = sleep

    def close(self) -> None:
        self._http.close()

    def page(self, token: str, *, since: datetime, until: datetime, number: int, size: int) -> OrdersPage:
        params = {
            "page[number]": str(number),
            "page[size]": str(size),
            "filter[orders][creationDate][$ge]": str(_ms(since)),
            "filter[orders][creationDate][$le]": str(_ms(until)),
            "include": "entries",
        }
        response = self._get("/v2/orders", params=params, headers={"X-Auth-Token": token, "Accept": JSON_API})
        try:
            page = _Page.model_validate_json(response.content)
        except ValidationError as exc:
            raise OrdersApiError(f"the marketplace's answer is not an orders page: {exc.errors()[0]['msg']}") from exc
        return _parsed(page)

    def _get(self, path: str, **kwargs: Any) -> httpx.Response:
        delay = 0.2
        for attempt in range(1, self._attempts + 1):
            last = attempt == self._attempts
            try:
                response = self._http.get(path, **kwargs)
            except httpx.HTTPError as exc:
                if last:
                    raise OrdersApiError(f"the marketplace's orders API is unreachable: {type(exc).__name__}") from exc
                self._sleep(delay)
                delay *= 2
                continue
            if response.status_code == 429 or response.status_code >= 500:
                if last:
                    raise OrdersApiError(f"the marketplace's orders API answered {response.status_code}")
                self._sleep(_retry_after(response) if response.status_code == 429 else delay)
                delay *= 2
                continue
            if response.status_code in (401, 403):
                raise OrdersApiError("the marketplace refused the store's API token")
            if response.status_code != 200:
                raise OrdersApiError(f"the marketplace's orders API answered {response.status_code}")
            return response
        raise AssertionError("unreachable")


def _parsed(page: _Page) -> OrdersPage:
    entries: dict[str, list[MarketplaceEntry]] = {}
    for resource in page.included:
        if resource.type != "orderentries":
            continue
        try:
            order_id = str(resource.relationships["order"]["data"]["id"])
            attributes = _EntryAttributes.model_validate(resource.attributes)
        except (KeyError, TypeError, ValidationError) as exc:
            raise OrdersApiError(f"an order entry of the marketplace's answer is malformed ({resource.id})") from exc
        entries.setdefault(order_id, []).append(
            MarketplaceEntry(
                sku=attributes.offer.code,
                name=attributes.offer.name,
                quantity=attributes.quantity,
                price_cents=round(attributes.basePrice * 100),
            )
        )
    orders = []
    for resource in page.data:
        try:
            attributes = _OrderAttributes.model_validate(resource.attributes)
        except ValidationError as exc:
            raise OrdersApiError(f"order {resource.id} of the marketplace's answer is malformed") from exc
        customer = attributes.customer
        name = customer.name or " ".join(part for part in (customer.firstName, customer.lastName) if part)
        orders.append(
            MarketplaceOrder(
                id=resource.id,
                code=attributes.code,
                created_at=datetime.fromtimestamp(attributes.creationDate / 1000, UTC),
                state=attributes.state,
                status=attributes.status,
                pickup_point_id=attributes.pickupPointId,
                customer_name=name[:200],
                customer_email=customer.email,
                entries=entries.get(resource.id, []),
            )
        )
    page_count = page.meta.get("pageCount")
    return OrdersPage(orders=orders, page_count=page_count if isinstance(page_count, int) else 0)


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _retry_after(response: httpx.Response) -> float:
    try:
        return min(max(float(response.headers.get("Retry-After", "1")), 0.0), MAX_RETRY_AFTER)
    except ValueError:
        return 1.0
