"""Reading what monitoring observed: a product's competitor offers of its latest successful fetch."""

from sqlalchemy import select
from sqlmodel import Session

from marketplace.models import ObservedOffer, OfferFetch, Product, Store
from marketplace.schemas_catalogue import ObservedOfferPublic, ProductOffersPublic


def latest_offers(session: Session, *, product: Product) -> ProductOffersPublic:
    """The offers of the product's latest fetch that did not fail, cheapest first as the marketplace
    listed them; the caller's own stores are marked `own`."""
    fetch = session.execute(
        select(OfferFetch)
        .where(OfferFetch.product_id == product.id, OfferFetch.error.is_(None))  # type: ignore[arg-type,union-attr]
        .order_by(OfferFetch.fetched_at.desc(), OfferFetch.id.desc())  # type: ignore[attr-defined,union-attr]
        .limit(1)
    ).scalar_one_or_none()
    if fetch is None:
        return ProductOffersPublic(product_id=product.id or 0, fetched_at=None, total=0, offers=[])
    own = set(session.execute(select(Store.merchant_id).where(Store.client == product.client)).scalars())  # type: ignore[arg-type]
    rows = session.execute(
        select(ObservedOffer).where(ObservedOffer.fetch_id == fetch.id).order_by(ObservedOffer.position)  # type: ignore[arg-type]
    ).scalars()
    offers = [
        ObservedOfferPublic(
            merchant_id=row.merchant_id,
            merchant_name=row.merchant_name,
            price_cents=row.price_cents,
            own=row.merchant_id in own,
        )
        for row in rows
    ]
    return ProductOffersPublic(
        product_id=product.id or 0, fetched_at=fetch.fetched_at, total=fetch.total, offers=offers
    )
