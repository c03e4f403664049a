"""Stores: where a promo's product is sold, the centre of its radius, and the time zone of the day a
notification counts against. A store that still has products is not deleted (409
`store_has_products`): delete or move its products first."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import exists, func, select
from sqlmodel import Session

from promotions.models import Product, Store
from promotions.problems import apply, conflict, get_owned
from promotions.schemas import StoreCreate, StorePatch, StorePublic


def public(store: Store) -> StorePublic:
    return StorePublic.model_validate(store, from_attributes=True)


def get_store(session: Session, *, client: str, id: int) -> Store:
    return get_owned(session, Store, client=client, id=id, what="Store")


def create_store(session: Session, *, client: str, data: StoreCreate, now: datetime) -> Store:
    store = Store(client=client, **data.model_dump(), created_at=now, updated_at=now)
    session.add(store)
    session.flush()
    return store


def update_store(session: Session, *, client: str, id: int, data: StorePatch, now: datetime) -> Store:
    store = get_owned(session, Store, client=client, id=id, what="Store")
    apply(store, data.changes())
    store.updated_at = now
    session.flush()
    return store


def delete_store(session: Session, *, client: str, id: int) -> None:
    store = get_owned(session, Store, client=client, id=id, what="Store")
    if session.execute(select(exists().where(Product.store_id == store.id))).scalar_one():  # type: ignore[arg-type]
        raise conflict(f"Store {id} still has products; delete or move them first.", "store_has_products")
    session.delete(store)
    session.flush()


def list_stores(session: Session, *, client: str, offset: int, limit: int) -> Sequence[Store]:
    query = select(Store).where(Store.client == client).order_by(Store.id).offset(offset).limit(limit)  # type: ignore[arg-type]
    return session.execute(query).scalars().all()


def count_stores(session: Session, *, client: str) -> int:
    return session.execute(select(func.count()).where(Store.client == client)).scalar_one()
