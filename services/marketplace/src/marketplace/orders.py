"""Orders: recording a new one (from the marketplace's orders API or our own API), moving it through
its states (order_states.py), and reading them.

Recording an order, in the caller's transaction: the order and its items, its stock taken from one
sales point (the one named; else the store's first point, by id, holding every item; else its first
point), and `marketplace.order.placed` in the outbox. An order from our API must find its stock (409
`insufficient_stock`, nothing taken); one from the marketplace is already sold there, so it takes what
the point has and records how much (`units_taken`). An order first seen cancelled takes nothing and
publishes nothing. Cancelling gives back exactly the units taken.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlmodel import Session

from marketplace import stock
from marketplace.events import ORDER_PLACED, OrderItemPayload, OrderPlaced
from marketplace.models import CustomerOrder, OrderItem, OrderSource, OrderStatus, SalesPoint, Stock, Store
from marketplace.order_states import can_move
from marketplace.schemas_orders import OrderItemPublic, OrderPublic
from quintet_shared.envelope import Envelope
from quintet_shared.errors import Conflict
from quintet_shared.outbox import add_event
from quintet_shared.rows import get_owned


@dataclass(frozen=True)
class NewItem:
    sku: str
    name: str
    quantity: int
    price_cents: int
    product_id: int | None


@dataclass(frozen=True)
class NewOrder:
    store: Store
    source: OrderSource
    customer_name: str
    customer_email: str | None
    items: Sequence[NewItem]
    placed_at: datetime
    currency: str
    sales_point_id: int | None = None
    marketplace_order_id: str | None = None
    code: str | None = None
    status: OrderStatus = OrderStatus.NEW


def record_order(session: Session, new: NewOrder, *, now: datetime, request_id: str | None = None) -> CustomerOrder:
    store = new.store
    assert store.id is not None
    order = CustomerOrder(
        client=store.client,
        store_id=store.id,
        sales_point_id=new.sales_point_id,
        source=new.source,
        marketplace_order_id=new.marketplace_order_id,
        code=new.code,
        status=new.status,
        customer_email=new.customer_email,
        customer_name=new.customer_name[:200],
        total_cents=sum(item.price_cents * item.quantity for item in new.items),
        currency=new.currency,
        placed_at=new.placed_at,
        status_changed_at=now,
        created_at=now,
    )
    if new.status != OrderStatus.CANCELLED and order.sales_point_id is None:
        order.sales_point_id = _pick_sales_point(session, store_id=store.id, items=new.items)
    session.add(order)
    session.flush()
    assert order.id is not None
    for item in new.items:
        taken = 0
        if new.status != OrderStatus.CANCELLED and item.product_id is not None and order.sales_point_id is not None:
            taken = stock.take(
                session, product_id=item.product_id, sales_point_id=order.sales_point_id, wanted=item.quantity, now=now
            )
            if taken < item.quantity and new.source == OrderSource.API:
                raise Conflict(
                    f"Sales point {order.sales_point_id} has too few units of {item.sku} for this order.",
                    code="insufficient_stock",
                )
        session.add(
            OrderItem(
                order_id=order.id,
                product_id=item.product_id,
                sku=item.sku,
                name=item.name[:500],
                quantity=item.quantity,
                price_cents=item.price_cents,
                units_taken=taken,
            )
        )
    if new.status != OrderStatus.CANCELLED:
        _publish_placed(session, order, store, new.items, now=now, request_id=request_id)
    session.flush()
    return order


def change_status(session: Session, *, client: str, id: int, status: OrderStatus, now: datetime) -> CustomerOrder:
    """Moves the order to `status` if its life cycle allows (409 `invalid_transition`); a cancel gives
    its units back. The order row is locked first, so two concurrent moves cannot both pass."""
    get_order(session, client=client, id=id)
    order = session.execute(
        select(CustomerOrder).where(CustomerOrder.id == id).with_for_update().execution_options(populate_existing=True)  # type: ignore[arg-type]
    ).scalar_one()
    current = OrderStatus(order.status)  # the column is a plain string
    if not can_move(current, status):
        raise Conflict(f"Order {id} is {current.value}; it cannot become {status.value}.", code="invalid_transition")
    if status == OrderStatus.CANCELLED and order.sales_point_id is not None:
        for item in items_of(session, order.id or 0):
            if item.product_id is not None and item.units_taken:
                stock.give_back(
                    session,
                    client=client,
                    product_id=item.product_id,
                    sales_point_id=order.sales_point_id,
                    units=item.units_taken,
                    now=now,
                )
                item.units_taken = 0
                session.add(item)
    order.status, order.status_changed_at = status, now
    session.flush()
    return order


def get_order(session: Session, *, client: str, id: int) -> CustomerOrder:
    return get_owned(session, CustomerOrder, client=client, id=id, what="Order")


def items_of(session: Session, order_id: int) -> Sequence[OrderItem]:
    query = select(OrderItem).where(OrderItem.order_id == order_id).order_by(OrderItem.id)  # type: ignore[arg-type,union-attr]
    return session.execute(query).scalars().all()


def list_orders(
    session: Session, *, client: str, status: OrderStatus | None, store_id: int | None, offset: int, limit: int
) -> tuple[Sequence[CustomerOrder], int]:
    where = [CustomerOrder.client == client]
    if status is not None:
        where.append(CustomerOrder.status == status)
    if store_id is not None:
        where.append(CustomerOrder.store_id == store_id)
    query = select(CustomerOrder).where(*where).order_by(CustomerOrder.id.desc()).offset(offset).limit(limit)  # type: ignore[union-attr]
    count = session.execute(select(func.count()).select_from(CustomerOrder).where(*where)).scalar_one()
    return session.execute(query).scalars().all(), count


def public(session: Session, order: CustomerOrder) -> OrderPublic:
    items = [OrderItemPublic.model_validate(item, from_attributes=True) for item in items_of(session, order.id or 0)]
    return OrderPublic.model_validate({**order.model_dump(), "items": items})


def _pick_sales_point(session: Session, *, store_id: int, items: Sequence[NewItem]) -> int | None:
    points = list(
        session.execute(select(SalesPoint.id).where(SalesPoint.store_id == store_id).order_by(SalesPoint.id)).scalars()  # type: ignore[arg-type]
    )
    wanted = {item.product_id: item.quantity for item in items if item.product_id is not None}
    if not points or not wanted:
        return points[0] if points else None
    held = session.execute(
        select(Stock.sales_point_id, Stock.product_id, Stock.units).where(
            Stock.sales_point_id.in_(points),  # type: ignore[attr-defined]
            Stock.product_id.in_(list(wanted)),  # type: ignore[attr-defined]
        )
    ).all()
    units = {(point, product): count for point, product, count in held}
    for point in points:
        if all(units.get((point, product), 0) >= quantity for product, quantity in wanted.items()):
            return point
    return points[0]


def _publish_placed(
    session: Session,
    order: CustomerOrder,
    store: Store,
    items: Sequence[NewItem],
    *,
    now: datetime,
    request_id: str | None,
) -> None:
    event = OrderPlaced(
        order_id=order.id or 0,
        store_id=store.id or 0,
        store_name=store.name,
        customer_email=order.customer_email,
        customer_name=order.customer_name,
        total_cents=order.total_cents,
        currency=order.currency,
        items=[
            OrderItemPayload(sku=item.sku, name=item.name, quantity=item.quantity, price_cents=item.price_cents)
            for item in items
        ],
        placed_at=order.placed_at,
    )
    envelope = Envelope.new(
        type=ORDER_PLACED, source="marketplace", client=order.client, data=event, correlation_id=request_id, time=now
    )
    add_event(session, envelope)
