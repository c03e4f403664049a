"""CRUD /marketplace/sales-points."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from marketplace import sales_points
from marketplace.schemas_catalogue import SalesPointCreate, SalesPointPatch, SalesPointPublic
from quintet_shared.answers import INVALID, UNSIGNED, RowId, conflict, unknown
from quintet_shared.context import ClientDep
from quintet_shared.deps import NowDep, PageDep, PageSizeDep, SessionDep
from quintet_shared.pagination import DEFAULT_PAGE_SIZE, Page, page_of
from quintet_shared.rows import MAX_ID

router = APIRouter(tags=["marketplace: sales points"])
UNKNOWN = unknown("sales point")
DUPLICATE = conflict("The store already has a sales point of this name: `duplicate_name`")


@router.post(
    "/marketplace/sales-points",
    status_code=201,
    response_model=SalesPointPublic,
    responses={**UNSIGNED, **INVALID, **DUPLICATE},
    summary="Add a pickup point or warehouse to one of your stores",
)
def create_sales_point(data: SalesPointCreate, client: ClientDep, session: SessionDep, now: NowDep) -> SalesPointPublic:
    point = sales_points.create_sales_point(session, client=client.client_code, data=data, now=now)
    session.commit()
    return sales_points.public(point)


@router.get(
    "/marketplace/sales-points",
    response_model=Page[SalesPointPublic],
    responses={**UNSIGNED, **INVALID},
    summary="The calling client's sales points, by id (of one store with `store_id`)",
)
def list_sales_points(
    request: Request,
    client: ClientDep,
    session: SessionDep,
    store_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    page: PageDep = 1,
    page_size: PageSizeDep = DEFAULT_PAGE_SIZE,
) -> Page[SalesPointPublic]:
    code = client.client_code
    items = sales_points.list_sales_points(
        session, client=code, store_id=store_id, offset=(page - 1) * page_size, limit=page_size
    )
    return page_of(
        [sales_points.public(point) for point in items],
        count=sales_points.count_sales_points(session, client=code, store_id=store_id),
        page=page,
        page_size=page_size,
        url=request.url,
    )


@router.get(
    "/marketplace/sales-points/{id:int}",
    response_model=SalesPointPublic,
    responses={**UNSIGNED, **UNKNOWN, **INVALID},
    summary="One sales point",
)
def get_sales_point(id: RowId, client: ClientDep, session: SessionDep) -> SalesPointPublic:
    return sales_points.public(sales_points.get_sales_point(session, client=client.client_code, id=id))


@router.patch(
    "/marketplace/sales-points/{id:int}",
    response_model=SalesPointPublic,
    responses={**UNSIGNED, **UNKNOWN, **INVALID, **DUPLICATE},
    summary="Rename a sales point or change its address",
)
def update_sales_point(
    id: RowId, data: SalesPointPatch, client: ClientDep, session: SessionDep, now: NowDep
) -> SalesPointPublic:
    point = sales_points.update_sales_point(session, client=client.client_code, id=id, data=data, now=now)
    session.commit()
    return sales_points.public(point)


@router.delete(
    "/marketplace/sales-points/{id:int}",
    status_code=204,
    response_class=Response,
    responses={
        **UNSIGNED,
        **UNKNOWN,
        **INVALID,
        **conflict("The sales point holds stock or is named by orders: `sales_point_in_use`"),
    },
    summary="Delete a sales point without stock or orders",
)
def delete_sales_point(id: RowId, client: ClientDep, session: SessionDep) -> Response:
    sales_points.delete_sales_point(session, client=client.client_code, id=id)
    session.commit()
    return Response(status_code=204)
