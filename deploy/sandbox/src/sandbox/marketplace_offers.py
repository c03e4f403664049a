"""The marketplace's offers side: who sells a product at what price, as its product page lists them.

`POST /sandbox/marketplace/yml/offer-view/offers/{product_id}` with `{"cityId", "id", "limit", "page"}`
is the shape of the endpoint Kaspi's product page calls (pages from 0): → `{"offers": [{"merchantId",
"merchantName", "merchantSku", "price", "merchantRating", "merchantReviewsQuantity", "kaspiDelivery"}],
"total"}`, cheapest first, prices in whole tenge. A product nobody offers is `{"offers": [], "total": 0}`.

The offers come from two places: the competitors' offers a test or an operator sets with `PUT
/sandbox/marketplace/products/{product_id}/offers` (or many products at once with `PUT
/sandbox/marketplace/products/offers`), and the sellers' own offers the feed poller lists from
their price feeds (`sandbox.marketplace_feeds`).
"""

import re
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from quintet_shared.errors import problem_response
from sandbox.kit.standin import StandIn, client_of

PRODUCT_ID = r"^[A-Za-z0-9_-]{1,64}$"
CITY_ID = r"^[0-9]{1,20}$"
MAX_LIMIT = 100
MAX_OFFERS_PER_PRODUCT = 1000
MAX_PRODUCTS_PER_PUT = 10_000
MAX_PRICE = 10**12  # whole tenge


class CompetitorOffer(BaseModel):
    """A competitor's offer as a test sets it (the marketplace's own field names)."""

    model_config = ConfigDict(extra="forbid")

    merchantId: str = Field(min_length=1, max_length=64)
    merchantName: str = Field(min_length=1, max_length=255)
    price: int = Field(ge=0, le=MAX_PRICE, description="Whole tenge")
    cityId: str | None = Field(None, pattern=CITY_ID, description="Only in this city (None: every city)")
    merchantRating: float | None = Field(None, ge=0, le=5)
    merchantReviewsQuantity: int = Field(0, ge=0, le=10**9)


class ProductOffers(BaseModel):
    model_config = ConfigDict(extra="forbid")

    offers: list[CompetitorOffer] = Field(max_length=MAX_OFFERS_PER_PRODUCT)


class ManyProductOffers(BaseModel):
    model_config = ConfigDict(extra="forbid")

    products: dict[str, list[CompetitorOffer]] = Field(max_length=MAX_PRODUCTS_PER_PUT)


class OffersQuery(BaseModel):
    """What the product page asks; unknown fields (sortOption, zoneId...) are accepted and ignored."""

    cityId: str = Field(pattern=CITY_ID)
    id: str | None = Field(None, pattern=PRODUCT_ID, description="The product id, as in the path")
    limit: int = Field(5, ge=1, le=MAX_LIMIT)
    page: int = Field(0, ge=0, le=100_000)


class OfferView(BaseModel):
    merchantId: str
    merchantName: str
    merchantSku: str | None = None
    price: int
    merchantRating: float | None = None
    merchantReviewsQuantity: int = 0
    kaspiDelivery: bool = False


class OffersPage(BaseModel):
    offers: list[OfferView]
    total: int


class Counted(BaseModel):
    products: int


# An offer as the API answers it (OfferView's fields), kept as a plain dict with the city it is
# limited to: the product page is asked tens of thousands of times a round, and building pydantic
# models per answer cost more than the rest of the request (bench/marketplace.py).
_Listed = tuple[str | None, dict[str, Any]]


@dataclass
class OfferBook:
    """Every product's offers: the competitors' (set whole per product) and the sellers' (per merchant,
    replaced whole each time a merchant's feed is read)."""

    competitors: dict[str, list[_Listed]] = field(default_factory=dict)
    listed: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # product -> merchant -> offer

    def set_competitors(self, product_id: str, offers: list[CompetitorOffer]) -> None:
        if offers:
            self.competitors[product_id] = [
                (offer.cityId, OfferView(**offer.model_dump(exclude={"cityId"})).model_dump()) for offer in offers
            ]
        else:
            self.competitors.pop(product_id, None)

    def replace_listing(self, merchant_id: str, offers: dict[str, OfferView]) -> None:
        """The merchant's offers become exactly `offers` (product -> offer)."""
        for product_id in [p for p, merchants in self.listed.items() if merchant_id in merchants]:
            del self.listed[product_id][merchant_id]
            if not self.listed[product_id]:
                del self.listed[product_id]
        for product_id, offer in offers.items():
            self.listed.setdefault(product_id, {})[merchant_id] = offer.model_dump()

    def view(self, product_id: str, city_id: str) -> list[dict[str, Any]]:
        offers = [offer for city, offer in self.competitors.get(product_id, ()) if city is None or city == city_id]
        offers.extend(self.listed.get(product_id, {}).values())
        offers.sort(key=lambda offer: (offer["price"], offer["merchantId"]))
        return offers

    def clear(self) -> None:
        self.competitors.clear()
        self.listed.clear()


def offers_router(stand_in: StandIn, book: OfferBook) -> APIRouter:
    router = APIRouter()
    api = stand_in.api_router()

    @api.post(
        "/yml/offer-view/offers/{product_id}",
        response_model=OffersPage,
        responses={429: {"description": "Throttled"}, 503: {"description": "Failing"}},
        summary="A product's offers in a city, cheapest first (Kaspi's product page shape)",
    )
    async def product_offers(product_id: str, query: OffersQuery, request: Request) -> OffersPage | Response:
        if not _valid_product_id(product_id) or (query.id is not None and query.id != product_id):
            return _mismatch(product_id)
        refusal = stand_in.refusal(1)
        if refusal is not None:
            return refusal
        offers = book.view(product_id, query.cityId)
        start = query.page * query.limit
        page = offers[start : start + query.limit]
        stand_in.recorder.accept(
            client_of(request),
            [{"productId": product_id, "cityId": query.cityId, "page": query.page, "limit": query.limit}],
        )
        # Already in the answer's shape (OffersPage documents it): no second validation per answer.
        return JSONResponse({"offers": page, "total": len(offers)})

    router.include_router(api)

    @router.put("/products/offers", response_model=Counted, tags=["sandbox marketplace"])
    async def set_many(body: ManyProductOffers) -> Counted | Response:
        """Set the competitors' offers of many products at once (each product's list replaced whole)."""
        bad = [product_id for product_id in body.products if not _valid_product_id(product_id)]
        if bad:
            return _mismatch(bad[0])
        for product_id, offers in body.products.items():
            book.set_competitors(product_id, offers)
        return Counted(products=len(body.products))

    @router.put("/products/{product_id}/offers", response_model=ProductOffers, tags=["sandbox marketplace"])
    async def set_offers(product_id: str, body: ProductOffers) -> ProductOffers | Response:
        """Set the competitors' offers of one product, replacing what it had (an empty list: none)."""
        if not _valid_product_id(product_id):
            return _mismatch(product_id)
        book.set_competitors(product_id, body.offers)
        return body

    return router


def _valid_product_id(product_id: str) -> bool:
    return re.fullmatch(PRODUCT_ID, product_id) is not None


def _mismatch(product_id: str) -> Response:
    detail = f"Not a product id: {product_id[:80]!r} (1-64 of A-Z a-z 0-9 _ -, and the body's id the same)."
    return problem_response(422, detail)
