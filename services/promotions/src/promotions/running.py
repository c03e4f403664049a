"""Promos on sale now: active, `starts_at <= now < ends_at`, and not sold out.

"Sold out" is the last unit sold (`units_sold = units`): nothing else ends a promo's sales. A promo
whose remaining units are all held by live holds stays on sale with `units_left` 0, since a hold
that expires gives its unit back. The (client, ends_at) index finds the promos not ended yet, so
past promos are never read.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, select, true
from sqlmodel import Session

from promotions.models import Product, Promo, Store
from promotions.schemas_promos import RunningPromo
from promotions.stock import held_counts, units_left


def running(client: str, now: datetime) -> ColumnElement[bool]:
    return and_(
        Promo.client == client,
        Promo.ends_at > now,
        Promo.starts_at <= now,
        Promo.active == true(),
        Promo.units_sold < Promo.units,
    )


def running_rows(condition: ColumnElement[bool]) -> Select[Any]:
    """Running promos with what an item shows of their product and store."""
    return (
        select(Promo, Product.name, Product.regular_price_cents, Product.currency, Store)
        .join(Product, Product.id == Promo.product_id)
        .join(Store, Store.id == Product.store_id)
        .where(condition)
    )


def list_running(session: Session, *, client: str, now: datetime, offset: int, limit: int) -> list[RunningPromo]:
    query = running_rows(running(client, now)).order_by(Promo.ends_at, Promo.id).offset(offset).limit(limit)
    rows = session.execute(query).all()
    held = held_counts(session, (row[0].id for row in rows), now=now)
    return [RunningPromo(**item_fields(*row, held=held.get(row[0].id, 0))) for row in rows]


def count_running(session: Session, *, client: str, now: datetime) -> int:
    return session.execute(select(func.count()).select_from(Promo).where(running(client, now))).scalar_one()


def item_fields(
    promo: Promo, product_name: str, regular_price_cents: int, currency: str, store: Store, *, held: int
) -> dict[str, Any]:
    return {
        "id": promo.id,
        "product_id": promo.product_id,
        "product_name": product_name,
        "store_id": store.id,
        "store_name": store.name,
        "promo_price_cents": promo.promo_price_cents,
        "regular_price_cents": regular_price_cents,
        "currency": currency,
        "starts_at": promo.starts_at,
        "ends_at": promo.ends_at,
        "radius_km": promo.radius_km,
        "units": promo.units,
        "units_left": units_left(promo, held),
    }
