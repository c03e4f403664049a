"""A store's price feed: the XML price list the marketplace polls (Kaspi's shape, namespace kaspiShopping).

    <kaspi_catalog date="..." xmlns="kaspiShopping">
      <company>store name</company><merchantid>store merchant id</merchantid>
      <offers><offer sku="..."><model>name</model>
        <availabilities><availability available="yes|no" storeId="<sales point>" stockCount="n"/></availabilities>
        <price>whole tenge</price></offer>...</offers>
    </kaspi_catalog>

Every product of the client is an offer of each of its stores, available at a sales point of that
store that holds stock of it (`storeId` is the sales point's id). Prices are whole tenge: cents are
rounded down, and up again where that would fall below the product's min.

A version is built whole, parsed back and checked (well-formed, every offer with its SKU and price),
and only then replaces the store's previous version, in one transaction: the marketplace is never
served a half-built list. A version is stale when anything it shows changed since (a product, a
stock level, a sales point, the store) or the number of products changed; a fetch of a stale feed
rebuilds it first, and a monitoring round that changed prices rebuilds its client's feeds.
"""

import xml.etree.ElementTree as ET  # our own output, read back to check it
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from xml.sax.saxutils import escape, quoteattr

from sqlalchemy import func
from sqlmodel import Session, col, select

from marketplace.models import FeedVersion, Product, SalesPoint, Stock, Store

NAMESPACE = "kaspiShopping"


class FeedInvalid(Exception):
    """A built feed failed its check: the previous version stays."""


@dataclass(frozen=True)
class Freshness:
    changed_at: datetime | None
    products: int


def tenge(product: Product) -> int:
    whole = product.price_cents // 100
    return whole + 1 if whole * 100 < product.min_price_cents else whole


def freshness(session: Session, store: Store) -> Freshness:
    product_changed, count = session.exec(
        select(func.max(Product.updated_at), func.count()).where(Product.client == store.client)
    ).one()
    points = select(SalesPoint.id).where(SalesPoint.store_id == store.id)
    point_changed = session.exec(select(func.max(SalesPoint.updated_at)).where(SalesPoint.store_id == store.id)).one()
    stock_changed = session.exec(select(func.max(Stock.updated_at)).where(col(Stock.sales_point_id).in_(points))).one()
    moments = [m for m in (product_changed, point_changed, stock_changed, store.updated_at) if m is not None]
    return Freshness(max(moments) if moments else None, count)


def build(session: Session, store: Store, *, now: datetime) -> tuple[bytes, int]:
    """The store's price list and its number of offers."""
    points = session.exec(select(SalesPoint).where(SalesPoint.store_id == store.id).order_by(col(SalesPoint.id))).all()
    units: dict[int, dict[int, int]] = defaultdict(dict)
    if points:
        stock = select(Stock).where(col(Stock.sales_point_id).in_([p.id for p in points]))
        for row in session.exec(stock):
            units[row.product_id][row.sales_point_id] = row.units
    products = session.exec(select(Product).where(Product.client == store.client).order_by(col(Product.id))).all()
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n',
        f'<kaspi_catalog date={quoteattr(now.isoformat())} xmlns="{NAMESPACE}">',
        f"<company>{escape(store.name)}</company><merchantid>{escape(store.merchant_id)}</merchantid><offers>",
    ]
    for product in products:
        held = units.get(product.id or 0, {})
        availabilities = "".join(
            f'<availability available="{"yes" if held.get(point.id or 0, 0) > 0 else "no"}"'
            f' storeId="{point.id}" stockCount="{held.get(point.id or 0, 0)}"/>'
            for point in points
        )
        parts.append(
            f"<offer sku={quoteattr(product.sku)}><model>{escape(product.name)}</model>"
            f"<availabilities>{availabilities}</availabilities><price>{tenge(product)}</price></offer>"
        )
    parts.append("</offers></kaspi_catalog>\n")
    return "".join(parts).encode(), len(products)


def check(body: bytes, expected_offers: int) -> None:
    try:
        root = ET.fromstring(body)  # noqa: S314 (our own output)
    except ET.ParseError as exc:
        raise FeedInvalid(f"not well-formed: {exc}") from exc
    offers = root.findall(f"{{{NAMESPACE}}}offers/{{{NAMESPACE}}}offer")
    if root.tag != f"{{{NAMESPACE}}}kaspi_catalog" or len(offers) != expected_offers:
        raise FeedInvalid(f"{len(offers)} offers where {expected_offers} were written")
    for offer in offers:
        price = offer.findtext(f"{{{NAMESPACE}}}price") or ""
        if not offer.get("sku") or not price.isdigit():
            raise FeedInvalid(f"offer {offer.get('sku')!r} has no SKU or no whole price")


def current_version(session: Session, store: Store, *, now: datetime) -> FeedVersion:
    """The store's feed as it is now: the stored version, rebuilt first when stale. Part of the
    caller's transaction."""
    version = session.get(FeedVersion, store.id)
    fresh = freshness(session, store)
    stale = (
        version is None
        or version.offers != fresh.products
        or (fresh.changed_at is not None and (version.covers_until is None or fresh.changed_at > version.covers_until))
    )
    if not stale:
        assert version is not None
        return version
    return replace_version(session, store, fresh, now=now)


def replace_version(session: Session, store: Store, fresh: Freshness, *, now: datetime) -> FeedVersion:
    body, offers = build(session, store, now=now)
    check(body, offers)
    version = session.get(FeedVersion, store.id) or FeedVersion(
        store_id=store.id or 0, client=store.client, body=b"", built_at=now
    )
    version.body, version.offers, version.built_at, version.covers_until = body, offers, now, fresh.changed_at
    session.add(version)
    session.flush()
    return version


def rebuild_client_feeds(session: Session, *, client: str, now: datetime) -> int:
    """Rebuild every stale feed of the client's stores (after a round changed prices)."""
    stores = session.exec(select(Store).where(Store.client == client)).all()
    for store in stores:
        current_version(session, store, now=now)
    return len(stores)
