"""Promos: one product at a promo price below its regular price, for a time window, to the users of
some segments within a radius of the store.

Validated on create and on every PATCH, against the promo as it would become: `ends_at` after
`starts_at`, the promo price below the product's regular price (checked when the price or the
product changes), segments that exist (422 listing the unknown ones), the product one of the
caller's (422 on `product_id`). `units` never drops below what is sold or held (409
`units_below_taken`). A promo with purchases is not deleted (409 `promo_has_purchases`): deactivate
it instead (`active: false`); deleting one without purchases takes its holds and notifications along.
Creating a promo, and a PATCH of its audience or time, plans its notification run (notify_schedule).
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import delete, exists, func, insert, select
from sqlmodel import Session

from promotions import notify_schedule, segments
from promotions.models import Product, Promo, PromoSegment, Purchase, Segment
from promotions.problems import conflict, get_owned, invalid, owned_in_body
from promotions.schemas_promos import PromoCreate, PromoPatch, PromoPublic
from promotions.stock import set_units
from quintet_shared.instants import require_within


def create_promo(session: Session, *, client: str, data: PromoCreate, now: datetime) -> Promo:
    product = owned_in_body(session, Product, client=client, id=data.product_id, field="product_id", what="product")
    _check_window(data.starts_at, data.ends_at)
    _check_price(data.promo_price_cents, product)
    segment_ids = segments.resolve(session, client=client, names=data.segments)
    promo = Promo(client=client, **data.model_dump(exclude={"segments"}), created_at=now, updated_at=now)
    session.add(promo)
    session.flush()
    _link_segments(session, promo, segment_ids.values())
    notify_schedule.plan_run(session, promo=promo, now=now)
    return promo


def update_promo(session: Session, *, client: str, id: int, data: PromoPatch, now: datetime) -> Promo:
    promo = get_owned(session, Promo, client=client, id=id, what="Promo")
    changes = data.changes()
    replan = bool(notify_schedule.REPLANNED_BY & changes.keys())
    if "product_id" in changes:
        product = owned_in_body(
            session, Product, client=client, id=changes["product_id"], field="product_id", what="product"
        )
    else:
        product = session.get_one(Product, promo.product_id)
    _check_window(changes.get("starts_at", promo.starts_at), changes.get("ends_at", promo.ends_at))
    if "product_id" in changes or "promo_price_cents" in changes:
        _check_price(changes.get("promo_price_cents", promo.promo_price_cents), product)
    if "segments" in changes:
        segment_ids = segments.resolve(session, client=client, names=changes.pop("segments"))
        if not segment_ids:
            raise invalid("segments", "must name at least one segment")
        session.execute(delete(PromoSegment).where(PromoSegment.promo_id == promo.id))
        _link_segments(session, promo, segment_ids.values())
    if "units" in changes:
        set_units(session, promo=promo, units=changes.pop("units"), now=now)
    for name, value in changes.items():
        setattr(promo, name, value)
    promo.updated_at = now
    session.flush()
    if replan:
        notify_schedule.plan_run(session, promo=promo, now=now)
    return promo


def delete_promo(session: Session, *, client: str, id: int) -> None:
    promo = get_owned(session, Promo, client=client, id=id, what="Promo")
    if session.execute(select(exists().where(Purchase.promo_id == promo.id))).scalar_one():
        raise conflict(
            f"Promo {id} has purchases and is kept as their record; deactivate it (active: false) instead.",
            "promo_has_purchases",
        )
    session.delete(promo)
    session.flush()


def get_promo(session: Session, *, client: str, id: int) -> PromoPublic:
    return publics(session, [get_owned(session, Promo, client=client, id=id, what="Promo")])[0]


def list_promos(session: Session, *, client: str, offset: int, limit: int) -> list[PromoPublic]:
    query = select(Promo).where(Promo.client == client).order_by(Promo.id).offset(offset).limit(limit)
    return publics(session, session.execute(query).scalars().all())


def count_promos(session: Session, *, client: str) -> int:
    return session.execute(select(func.count()).where(Promo.client == client)).scalar_one()


def publics(session: Session, promos: Sequence[Promo]) -> list[PromoPublic]:
    """Promos with their product's price and store and their segment names: two queries for the lot."""
    ids = [promo.id for promo in promos]
    names: dict[int, list[str]] = defaultdict(list)
    products: dict[int, Product] = {}
    if ids:
        rows = session.execute(
            select(PromoSegment.promo_id, Segment.name)
            .join(Segment, Segment.id == PromoSegment.segment_id)
            .where(PromoSegment.promo_id.in_(ids))
            .order_by(Segment.name)
        ).all()
        for promo_id, name in rows:
            names[promo_id].append(name)
        product_ids = {promo.product_id for promo in promos}
        found = session.execute(select(Product).where(Product.id.in_(product_ids))).scalars()
        products = {product.id: product for product in found if product.id is not None}
    return [_public(promo, products[promo.product_id], names[promo.id or 0]) for promo in promos]


def _public(promo: Promo, product: Product, segment_names: list[str]) -> PromoPublic:
    return PromoPublic(
        id=promo.id or 0,
        product_id=promo.product_id,
        store_id=product.store_id,
        promo_price_cents=promo.promo_price_cents,
        regular_price_cents=product.regular_price_cents,
        currency=product.currency,
        starts_at=promo.starts_at,
        ends_at=promo.ends_at,
        segments=segment_names,
        radius_km=promo.radius_km,
        units=promo.units,
        per_user_limit=promo.per_user_limit,
        active=promo.active,
        created_at=promo.created_at,
        updated_at=promo.updated_at,
    )


def _check_window(starts_at: datetime, ends_at: datetime) -> None:
    require_within(starts_at, field="starts_at", location="body")
    require_within(ends_at, field="ends_at", location="body")
    if ends_at <= starts_at:
        raise invalid("ends_at", "must be after starts_at")


def _check_price(price: int, product: Product) -> None:
    if price >= product.regular_price_cents:
        raise invalid(
            "promo_price_cents",
            f"must be below the product's regular price, {product.regular_price_cents} {product.currency} cents",
        )


def _link_segments(session: Session, promo: Promo, segment_ids: Iterable[int]) -> None:
    rows = [{"promo_id": promo.id, "segment_id": id} for id in segment_ids]
    if rows:
        session.execute(insert(PromoSegment), rows)
