"""Stores: the seller's shops on the marketplace. Each has a secret feed token (the path of its
public price list, never guessable) and, optionally, its marketplace API token, kept encrypted
(token_crypto.py). A merchant id is unique per client (409 `duplicate_merchant_id`); a store that
still has sales points or orders is not deleted (409 `store_in_use`)."""

import secrets
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from marketplace.models import CustomerOrder, SalesPoint, Store
from marketplace.schemas_catalogue import StoreCreate, StorePatch, StorePublic
from marketplace.token_crypto import encrypt_token
from quintet_shared.errors import Conflict
from quintet_shared.rows import apply, get_owned

FEED_PATH = "/marketplace/public/feeds/{token}.xml"


def new_feed_token() -> str:
    return secrets.token_urlsafe(32)  # 256 bits, 43 characters of [A-Za-z0-9_-]


def feed_url(public_url: str, token: str) -> str:
    return public_url.rstrip("/") + FEED_PATH.format(token=token)


def public(store: Store, *, public_url: str) -> StorePublic:
    return StorePublic(
        id=store.id or 0,
        name=store.name,
        merchant_id=store.merchant_id,
        city_id=store.city_id,
        api_token_set=store.api_token_encrypted is not None,
        feed_url=feed_url(public_url, store.feed_token),
        orders_synced_until=store.orders_synced_until,
        created_at=store.created_at,
        updated_at=store.updated_at,
    )


def get_store(session: Session, *, client: str, id: int) -> Store:
    return get_owned(session, Store, client=client, id=id, what="Store")


def create_store(session: Session, *, client: str, data: StoreCreate, token_key: str, now: datetime) -> Store:
    fields = data.model_dump(exclude={"api_token"})
    encrypted = encrypt_token(token_key, data.api_token) if data.api_token else None
    store = Store(
        client=client,
        **fields,
        api_token_encrypted=encrypted,
        feed_token=new_feed_token(),
        created_at=now,
        updated_at=now,
    )
    _check_merchant_free(session, client=client, merchant_id=store.merchant_id, store_id=None)
    session.add(store)
    _flush(session)
    return store


def update_store(session: Session, *, client: str, id: int, data: StorePatch, token_key: str, now: datetime) -> Store:
    store = get_store(session, client=client, id=id)
    changes = data.changes()
    if "api_token" in changes:
        store.api_token_encrypted = encrypt_token(token_key, changes.pop("api_token"))
    if "merchant_id" in changes:
        _check_merchant_free(session, client=client, merchant_id=changes["merchant_id"], store_id=store.id)
    apply(store, changes)
    store.updated_at = now
    _flush(session)
    return store


def delete_store(session: Session, *, client: str, id: int) -> None:
    store = get_store(session, client=client, id=id)
    for model, what in ((SalesPoint, "sales points"), (CustomerOrder, "orders")):
        if session.execute(select(exists().where(model.store_id == store.id))).scalar_one():  # type: ignore[attr-defined]
            raise Conflict(f"Store {id} still has {what}; delete them first.", code="store_in_use")
    session.delete(store)
    session.flush()


def list_stores(session: Session, *, client: str, offset: int, limit: int) -> Sequence[Store]:
    query = select(Store).where(Store.client == client).order_by(Store.id).offset(offset).limit(limit)  # type: ignore[arg-type]
    return session.execute(query).scalars().all()


def count_stores(session: Session, *, client: str) -> int:
    return session.execute(select(func.count()).where(Store.client == client)).scalar_one()


def store_for_feed_token(session: Session, token: str) -> Store | None:
    return session.execute(select(Store).where(Store.feed_token == token)).scalar_one_or_none()  # type: ignore[arg-type]


def _check_merchant_free(session: Session, *, client: str, merchant_id: str, store_id: int | None) -> None:
    query = select(Store.id).where(Store.client == client, Store.merchant_id == merchant_id)  # type: ignore[arg-type]
    found = session.execute(query).scalar_one_or_none()
    if found is not None and found != store_id:
        raise _duplicate(merchant_id)


def _flush(session: Session) -> None:
    # Two concurrent creates of one merchant id both pass the check; the unique index decides.
    try:
        session.flush()
    except IntegrityError as exc:
        raise _duplicate("this merchant id") from exc


def _duplicate(merchant_id: str) -> Conflict:
    return Conflict(f"You already have a store with merchant id {merchant_id}.", code="duplicate_merchant_id")
