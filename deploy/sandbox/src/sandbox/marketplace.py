"""The `marketplace` provider: a stand-in for the Kaspi.kz marketplace, in parts that share one record
and behaviour (§12's inspection and fault routes under /sandbox/marketplace/).

Each part (the orders side in `sandbox.marketplace_orders`; the offers side and its feed poller in
`sandbox.marketplace_offers` and `sandbox.marketplace_feeds`) is a factory listed in `PARTS`: it gets
the settings and the shared stand-in, and gives its routes and hooks. A reset
(`DELETE /sandbox/marketplace/received`) also forgets every part's own state.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from fastapi import APIRouter

from sandbox.config import Settings
from sandbox.kit.inspection import inspection_router
from sandbox.kit.standin import StandIn
from sandbox.marketplace_feeds import FeedPoller, feeds_router
from sandbox.marketplace_offers import OfferBook, offers_router
from sandbox.marketplace_orders import OrderBook, orders_router
from sandbox.provider import Hook, Provider


@dataclass(frozen=True)
class MarketplacePart:
    router: APIRouter
    on_startup: Sequence[Hook] = ()
    on_shutdown: Sequence[Hook] = ()


PartFactory = Callable[[Settings, StandIn], MarketplacePart]


def orders_part(settings: Settings, stand_in: StandIn) -> MarketplacePart:
    """Customers' orders of the merchants, and the orders API sellers sync them from."""
    book = OrderBook()
    stand_in.on_reset(book.clear)
    return MarketplacePart(orders_router(stand_in, book))


def offers_part(settings: Settings, stand_in: StandIn) -> MarketplacePart:
    """Product pages' offers, the competitors' offers tests set, and the sellers' feeds polled."""
    book = OfferBook()
    poller = FeedPoller(settings, book)
    stand_in.on_reset(book.clear)
    stand_in.on_reset(poller.clear)
    router = APIRouter()
    router.include_router(offers_router(stand_in, book))
    router.include_router(feeds_router(poller))
    return MarketplacePart(router, on_startup=[poller.start], on_shutdown=[poller.stop])


# The registration point of the marketplace's parts.
PARTS: tuple[PartFactory, ...] = (orders_part, offers_part)


def marketplace_provider(settings: Settings) -> Provider:
    stand_in = StandIn(settings.received_limit)
    parts = [part(settings, stand_in) for part in PARTS]
    router = APIRouter()
    for part in parts:
        router.include_router(part.router)
    router.include_router(inspection_router(stand_in))
    return Provider(
        name="marketplace",
        title="Marketplace (Kaspi.kz-like offers, orders and price feed polling)",
        router=router,
        on_startup=[hook for part in parts for hook in part.on_startup],
        on_shutdown=[hook for part in parts for hook in part.on_shutdown],
    )
