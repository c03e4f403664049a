"""CRUD /promotions/stores."""

from fastapi import APIRouter, Request, Response

from promotions import stores
from promotions.api_answers import INVALID, UNSIGNED, RowId, conflict, unknown
from promotions.schemas import StoreCreate, StorePatch, StorePublic
from quintet_shared.context import ClientDep
from quintet_shared.deps import NowDep, PageDep, PageSizeDep, SessionDep
from quintet_shared.pagination import DEFAULT_PAGE_SIZE, Page, page_of

router = APIRouter(tags=["promotions: stores"])
UNKNOWN = unknown("store")


@router.post(
    "/promotions/stores",
    status_code=201,
    response_model=StorePublic,
    responses={**UNSIGNED, **INVALID},
    summary="Add a store (its location is the centre of its promos' radius; its time zone their day)",
)
def create_store(data: StoreCreate, client: ClientDep, session: SessionDep, now: NowDep) -> StorePublic:
    store = stores.create_store(session, client=client.client_code, data=data, now=now)
    session.commit()
    return stores.public(store)


@router.get(
    "/promotions/stores",
    response_model=Page[StorePublic],
    responses={**UNSIGNED, **INVALID},
    summary="The calling client's stores, by id",
)
def list_stores(
    request: Request,
    client: ClientDep,
    session: SessionDep,
    page: PageDep = 1,
    page_size: PageSizeDep = DEFAULT_PAGE_SIZE,
) -> Page[StorePublic]:
    code = client.client_code
    items = stores.list_stores(session, client=code, offset=(page - 1) * page_size, limit=page_size)
    count = stores.count_stores(session, client=code)
    return page_of(
        [stores.public(store) for store in items], count=count, page=page, page_size=page_size, url=request.url
    )


@router.get(
    "/promotions/stores/{id:int}",
    response_model=StorePublic,
    responses={**UNSIGNED, **UNKNOWN, **INVALID},
    summary="One store",
)
def get_store(id: RowId, client: ClientDep, session: SessionDep) -> StorePublic:
    return stores.public(stores.get_store(session, client=client.client_code, id=id))


@router.patch(
    "/promotions/stores/{id:int}",
    response_model=StorePublic,
    responses={**UNSIGNED, **UNKNOWN, **INVALID},
    summary="Change a store's name, location or time zone",
)
def update_store(id: RowId, data: StorePatch, client: ClientDep, session: SessionDep, now: NowDep) -> StorePublic:
    store = stores.update_store(session, client=client.client_code, id=id, data=data, now=now)
    session.commit()
    return stores.public(store)


@router.delete(
    "/promotions/stores/{id:int}",
    status_code=204,
    response_class=Response,
    responses={**UNSIGNED, **UNKNOWN, **INVALID, **conflict("The store still has products: `store_has_products`")},
    summary="Delete a store without products",
)
def delete_store(id: RowId, client: ClientDep, session: SessionDep) -> Response:
    stores.delete_store(session, client=client.client_code, id=id)
    session.commit()
    return Response(status_code=204)
