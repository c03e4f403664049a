"""/marketplace/orders: orders synced from the marketplace or created here, and their states."""

from typing import Annotated

from fastapi import APIRouter, Query, Request

from marketplace import order_entry, orders
from marketplace.models import OrderStatus
from marketplace.schemas_orders import OrderCreate, OrderPublic, OrderStatusChange
from quintet_shared.answers import INVALID, UNSIGNED, RowId, conflict, unknown
from quintet_shared.context import ClientDep
from quintet_shared.deps import NowDep, PageDep, PageSizeDep, SessionDep
from quintet_shared.pagination import DEFAULT_PAGE_SIZE, Page, page_of
from quintet_shared.rows import MAX_ID

router = APIRouter(tags=["marketplace: orders"])
UNKNOWN = unknown("order")


@router.post(
    "/marketplace/orders",
    status_code=201,
    response_model=OrderPublic,
    responses={**UNSIGNED, **INVALID, **conflict("A sales point lacks the stock: `insufficient_stock`")},
    summary="Record an order taken outside the marketplace (its stock is taken; marketplace.order.placed)",
)
def create_order(
    data: OrderCreate, request: Request, client: ClientDep, session: SessionDep, now: NowDep
) -> OrderPublic:
    order = order_entry.create_order(
        session,
        client=client.client_code,
        data=data,
        currency=request.app.state.settings.currency,
        now=now,
        request_id=client.request_id or None,
    )
    session.commit()
    return orders.public(session, order)


@router.get(
    "/marketplace/orders",
    response_model=Page[OrderPublic],
    responses={**UNSIGNED, **INVALID},
    summary="The calling client's orders, newest first (of one status or store when asked)",
)
def list_orders(
    request: Request,
    client: ClientDep,
    session: SessionDep,
    status: OrderStatus | None = None,
    store_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    page: PageDep = 1,
    page_size: PageSizeDep = DEFAULT_PAGE_SIZE,
) -> Page[OrderPublic]:
    items, count = orders.list_orders(
        session,
        client=client.client_code,
        status=status,
        store_id=store_id,
        offset=(page - 1) * page_size,
        limit=page_size,
    )
    return page_of(
        [orders.public(session, order) for order in items], count=count, page=page, page_size=page_size, url=request.url
    )


@router.get(
    "/marketplace/orders/{id:int}",
    response_model=OrderPublic,
    responses={**UNSIGNED, **UNKNOWN, **INVALID},
    summary="One order with its items",
)
def get_order(id: RowId, client: ClientDep, session: SessionDep) -> OrderPublic:
    return orders.public(session, orders.get_order(session, client=client.client_code, id=id))


@router.post(
    "/marketplace/orders/{id:int}/status",
    response_model=OrderPublic,
    responses={
        **UNSIGNED,
        **UNKNOWN,
        **INVALID,
        **conflict("The order's state does not lead there: `invalid_transition`"),
    },
    summary="Move an order: new → accepted → shipped → delivered, or cancelled before delivery (stock back)",
)
def change_status(
    id: RowId, data: OrderStatusChange, client: ClientDep, session: SessionDep, now: NowDep
) -> OrderPublic:
    order = orders.change_status(session, client=client.client_code, id=id, status=data.status, now=now)
    session.commit()
    return orders.public(session, order)
