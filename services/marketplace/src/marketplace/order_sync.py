"""Syncing a store's orders from the marketplace's orders API (orders_api.py) into ours.

A sync asks for the orders created since the store's cursor (`orders_synced_until`; the first sync
looks back `MARKETPLACE_ORDERS_FIRST_SYNC_DAYS`) up to now, page by page. Each page lands in one
transaction: the orders not yet known (by the marketplace's order id, unique per store) are recorded
(orders.record_order: stock taken, `marketplace.order.placed` in the outbox), the others skipped, so
a sync run twice, or two at once, records each order once (the syncs of one store also take turns:
an advisory lock on PostgreSQL, the write lock on SQLite). When every page is in, the cursor moves
to now minus OVERLAP: an order the marketplace lists a little late is still found next time.

A SKU the catalogue does not know is recorded without a product (and takes no stock); a pickup point
is matched to the store's sales point of that name.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from marketplace import orders
from marketplace.config import Settings
from marketplace.models import CustomerOrder, OrderSource, Product, SalesPoint, Store
from marketplace.order_states import from_marketplace
from marketplace.orders_api import MarketplaceOrder, OrdersApi
from marketplace.schemas_orders import SyncResult
from marketplace.token_crypto import decrypt_token
from quintet_shared.bulk import lock_for_transaction
from quintet_shared.clock import Clock
from quintet_shared.db import session_scope
from quintet_shared.write_lock import hold_write_lock

OVERLAP = timedelta(minutes=10)
MAX_PAGES = 10_000  # a runaway pageCount must not loop for ever


@dataclass(frozen=True)
class _StoreView:
    id: int
    client: str
    token: str
    since: datetime


def stores_to_sync(engine: Engine, *, client: str) -> list[int]:
    """The client's stores that have an API token, by id."""
    with Session(engine) as session:
        query = (
            select(Store.id).where(Store.client == client, Store.api_token_encrypted.is_not(None)).order_by(Store.id)
        )  # type: ignore[arg-type,union-attr]
        return list(session.execute(query).scalars())


def sync_store(engine: Engine, *, store_id: int, settings: Settings, api: OrdersApi, clock: Clock) -> SyncResult:
    now = clock()
    store = _view(engine, store_id, settings, now)
    pages = seen = recorded = 0
    for number in range(MAX_PAGES):
        page = api.page(store.token, since=store.since, until=now, number=number, size=settings.orders_page_size)
        pages += 1
        seen += len(page.orders)
        if page.orders:
            recorded += _land(engine, store.id, page.orders, currency=settings.currency, now=now)
        if not page.orders or number + 1 >= page.page_count:
            break
    until = max(store.since, now - OVERLAP)
    with session_scope(engine) as session:
        row = session.get(Store, store.id)
        if row is not None:
            row.orders_synced_until = until
            session.add(row)
    return SyncResult(store_id=store.id, pages=pages, seen=seen, recorded=recorded, synced_until=until)


def _view(engine: Engine, store_id: int, settings: Settings, now: datetime) -> _StoreView:
    with Session(engine) as session:
        store = session.get(Store, store_id)
        if store is None or store.api_token_encrypted is None:
            raise ValueError(f"store {store_id} has no marketplace API token")
        since = store.orders_synced_until or now - timedelta(days=settings.orders_first_sync_days)
        token = decrypt_token(settings.token_key, store.api_token_encrypted)
        return _StoreView(id=store_id, client=store.client, token=token, since=since)


def _land(engine: Engine, store_id: int, page: list[MarketplaceOrder], *, currency: str, now: datetime) -> int:
    with session_scope(engine) as session:
        hold_write_lock(session, "store")
        lock_for_transaction(session, f"marketplace.orders:{store_id}")
        store = session.get(Store, store_id)
        if store is None:
            return 0  # deleted meanwhile
        known = set(
            session.execute(
                select(CustomerOrder.marketplace_order_id).where(
                    CustomerOrder.store_id == store_id,  # type: ignore[arg-type]
                    CustomerOrder.marketplace_order_id.in_([order.id for order in page]),  # type: ignore[union-attr]
                )
            ).scalars()
        )
        fresh = [order for order in page if order.id not in known]
        products = _products(session, store.client, {entry.sku for order in fresh for entry in order.entries})
        points = _points(session, store_id)
        for order in fresh:
            orders.record_order(session, _new_order(store, order, products, points, currency), now=now)
        return len(fresh)


def _new_order(
    store: Store, order: MarketplaceOrder, products: dict[str, int], points: dict[str, int], currency: str
) -> orders.NewOrder:
    items = [
        orders.NewItem(entry.sku, entry.name, entry.quantity, entry.price_cents, products.get(entry.sku))
        for entry in order.entries
    ]
    email = order.customer_email if order.customer_email and _looks_like_email(order.customer_email) else None
    return orders.NewOrder(
        store=store,
        source=OrderSource.MARKETPLACE,
        customer_name=order.customer_name,
        customer_email=email,
        items=items,
        placed_at=order.created_at,
        currency=currency,
        sales_point_id=points.get(order.pickup_point_id or ""),
        marketplace_order_id=order.id,
        code=order.code,
        status=from_marketplace(order.state, order.status),
    )


def _products(session: Session, client: str, skus: set[str]) -> dict[str, int]:
    if not skus:
        return {}
    query = select(Product.sku, Product.id).where(Product.client == client, Product.sku.in_(skus))  # type: ignore[arg-type,attr-defined]
    return {sku: id for sku, id in session.execute(query)}


def _points(session: Session, store_id: int) -> dict[str, int]:
    query = select(SalesPoint.name, SalesPoint.id).where(SalesPoint.store_id == store_id)  # type: ignore[arg-type]
    return {name: id for name, id in session.execute(query)}


def _looks_like_email(value: str) -> bool:
    return value.count("@") == 1 and value[0] != "@" and value[-1] != "@" and value.isprintable() and " " not in value
