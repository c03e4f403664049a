"""The marketplace's orders side: customers' orders of a merchant, and the orders API a seller's
tool syncs them from, in the shape of Kaspi.kz's (`/shop/api/v2/orders`, JSON:API).

- `PUT /sandbox/marketplace/merchants/{merchant_id}` `{"apiToken"}`: the merchant's API token (what
  the seller copies from its marketplace cabinet); the orders API answers a token with its
  merchant's orders only.
- `POST /sandbox/marketplace/orders` `{merchantId, customer: {email, name}, entries: [{sku, quantity,
  price}], pickupPointId?, creationDate?}`: a customer orders (prices in whole tenge; `creationDate`
  in epoch ms, now by default) → 201 with the order's `id` and `code`; listed in `received`.
- `GET /sandbox/marketplace/shop/api/v2/orders` with `X-Auth-Token`, `page[number]` (from 0),
  `page[size]` (1-100) and the required `filter[orders][creationDate][$ge]` (and optional `$le`),
  in epoch milliseconds → `{"data": [{"type": "orders", "id", "attributes": {code, totalPrice,
  creationDate, state, status, pickupPointId, customer: {id, name, firstName, lastName, email}}}],
  "meta": {"pageCount", "totalCount"}}`, oldest first; `include=entries` adds every order's entries
  to `included` (`{"type": "orderentries", "id", "attributes": {quantity, basePrice, totalPrice,
  offer: {code, name}}, "relationships": {"order": {"data": {"type": "orders", "id"}}}}`), which
  `GET .../v2/orders/{id}/entries` also serves. A missing or unknown token → 401; a missing filter
  or a page size over 100 → 400, as the real API answers.
"""

import base64
import hmac
import itertools
import time
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from quintet_shared.errors import problem_response
from sandbox.kit.standin import StandIn, client_of

JSON_API = "application/vnd.api+json"
MAX_PAGE_SIZE = 100
MAX_ENTRIES = 100
MAX_PRICE = 10**12  # whole tenge
MERCHANT_ID = r"^[A-Za-z0-9_.-]{1,64}$"


class Customer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str | None = Field(None, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    name: str = Field(min_length=1, max_length=200)


class Entry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: str = Field(min_length=1, max_length=100, description="The merchant's SKU (the offer's code)")
    quantity: int = Field(ge=1, le=10_000)
    price: int = Field(ge=0, le=MAX_PRICE, description="Per unit, whole tenge")
    name: str = Field("", max_length=500)


class PlacedOrder(BaseModel):
    model_config = ConfigDict(extra="forbid")

    merchantId: str = Field(pattern=MERCHANT_ID)
    customer: Customer
    entries: list[Entry] = Field(min_length=1, max_length=MAX_ENTRIES)
    pickupPointId: str | None = Field(
        None, max_length=200, description="The merchant's point the order is collected at"
    )
    creationDate: int | None = Field(
        None, ge=0, le=2**53, description="When it was placed, epoch ms (default: now); tests on a fake clock set it"
    )


class MerchantToken(BaseModel):
    model_config = ConfigDict(extra="forbid")

    apiToken: str = Field(min_length=1, max_length=500)


class OrderCreated(BaseModel):
    id: str
    code: str
    merchantId: str
    totalPrice: int
    creationDate: int


@dataclass
class _Order:
    id: str
    code: str
    merchant_id: str
    body: PlacedOrder
    created_ms: int


@dataclass
class OrderBook:
    """Every order placed, by merchant, and the merchants' API tokens."""

    orders: list[_Order] = field(default_factory=list)
    tokens: dict[str, str] = field(default_factory=dict)  # token → merchant id
    _numbers: itertools.count = field(default_factory=lambda: itertools.count(1))

    def clear(self) -> None:
        self.orders.clear()
        self.tokens.clear()
        self._numbers = itertools.count(1)

    def merchant_of(self, token: str | None) -> str | None:
        if not token:
            return None
        for known, merchant in self.tokens.items():
            if hmac.compare_digest(known.encode(), token.encode()):
                return merchant
        return None

    def place(self, body: PlacedOrder, now_ms: int) -> _Order:
        number = next(self._numbers)
        order = _Order(
            id=base64.urlsafe_b64encode(f"order-{number}".encode()).decode().rstrip("="),
            code=str(100_000_000 + number),
            merchant_id=body.merchantId,
            body=body,
            created_ms=now_ms,
        )
        self.orders.append(order)
        return order


def orders_router(stand_in: StandIn, book: OrderBook) -> APIRouter:
    api = stand_in.api_router()

    @api.put("/merchants/{merchant_id}", status_code=204, response_class=Response)
    async def set_token(merchant_id: Annotated[str, Path(pattern=MERCHANT_ID)], body: MerchantToken) -> Response:
        """Give a merchant its API token (replaces the merchant's previous one)."""
        for token in [token for token, merchant in book.tokens.items() if merchant == merchant_id]:
            del book.tokens[token]
        book.tokens[body.apiToken] = merchant_id
        return Response(status_code=204)

    @api.post("/orders", status_code=201, response_model=OrderCreated)
    async def place(body: PlacedOrder, request: Request) -> OrderCreated | Response:
        """A customer orders from a merchant."""
        refusal = stand_in.refusal(1)
        if refusal is not None:
            return refusal
        order = book.place(body, body.creationDate if body.creationDate is not None else int(time.time() * 1000))
        total = sum(entry.price * entry.quantity for entry in body.entries)
        stand_in.recorder.accept(client_of(request), [{"id": order.id, "code": order.code, **body.model_dump()}])
        return OrderCreated(
            id=order.id, code=order.code, merchantId=order.merchant_id, totalPrice=total, creationDate=order.created_ms
        )

    @api.get("/shop/api/v2/orders")
    async def list_orders(
        request: Request,
        x_auth_token: Annotated[str | None, Header(alias="X-Auth-Token")] = None,
    ) -> Response:
        """The merchant's orders (the token's), oldest first, a page at a time."""
        merchant = book.merchant_of(x_auth_token)
        if merchant is None:
            return problem_response(401, "A valid X-Auth-Token header is required.")
        query = request.query_params
        try:
            since = int(query["filter[orders][creationDate][$ge]"])
            until = int(query.get("filter[orders][creationDate][$le]", str(2**62)))
            number = int(query.get("page[number]", "0"))
            size = int(query.get("page[size]", "20"))
        except (KeyError, ValueError):
            return problem_response(
                400, "filter[orders][creationDate][$ge] (epoch ms) is required; pages are integers."
            )
        if not (1 <= size <= MAX_PAGE_SIZE and 0 <= number <= 10**6):
            return problem_response(400, f"page[size] must be 1-{MAX_PAGE_SIZE}; page[number] from 0.")
        refusal = stand_in.refusal(0)
        if refusal is not None:
            return refusal
        mine = [o for o in book.orders if o.merchant_id == merchant and since <= o.created_ms <= until]
        page = mine[number * size : (number + 1) * size]
        body: dict[str, Any] = {
            "data": [_order_resource(order) for order in page],
            "meta": {"pageCount": -(-len(mine) // size), "totalCount": len(mine)},
        }
        if "entries" in query.get("include", "").split(","):
            body["included"] = [entry for order in page for entry in _entries(order)]
        return JSONResponse(body, media_type=JSON_API)

    @api.get("/shop/api/v2/orders/{order_id}/entries")
    async def order_entries(
        order_id: str, x_auth_token: Annotated[str | None, Header(alias="X-Auth-Token")] = None
    ) -> Response:
        """One order's entries."""
        merchant = book.merchant_of(x_auth_token)
        if merchant is None:
            return problem_response(401, "A valid X-Auth-Token header is required.")
        order = next((o for o in book.orders if o.id == order_id and o.merchant_id == merchant), None)
        if order is None:
            return problem_response(404, f"No order {order_id[:64]} of this merchant.")
        return JSONResponse({"data": _entries(order)}, media_type=JSON_API)

    return api


def _order_resource(order: _Order) -> dict[str, Any]:
    customer = order.body.customer
    first, _, last = customer.name.partition(" ")
    return {
        "type": "orders",
        "id": order.id,
        "attributes": {
            "code": order.code,
            "totalPrice": sum(entry.price * entry.quantity for entry in order.body.entries),
            "creationDate": order.created_ms,
            "state": "NEW",
            "status": "APPROVED_BY_BANK",
            "pickupPointId": order.body.pickupPointId,
            "customer": {
                "id": f"c-{order.id}",
                "name": customer.name,
                "firstName": first,
                "lastName": last,
                "email": customer.email,
            },
        },
        "relationships": {"entries": {"links": {"related": f"/v2/orders/{order.id}/entries"}}},
    }


def _entries(order: _Order) -> list[dict[str, Any]]:
    return [
        {
            "type": "orderentries",
            "id": f"{order.id}-{index}",
            "attributes": {
                "quantity": entry.quantity,
                "basePrice": entry.price,
                "totalPrice": entry.price * entry.quantity,
                "offer": {"code": entry.sku, "name": entry.name},
            },
            "relationships": {"order": {"data": {"type": "orders", "id": order.id}}},
        }
        for index, entry in enumerate(order.body.entries)
    ]
