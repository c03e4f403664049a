"""CRUD /marketplace/stores."""

from typing import cast

from fastapi import APIRouter, Request, Response

from marketplace import stores
from marketplace.config import Settings
from marketplace.schemas_catalogue import StoreCreate, StorePatch, StorePublic
from quintet_shared.answers import INVALID, UNSIGNED, RowId, conflict, unknown
from quintet_shared.context import ClientDep
from quintet_shared.deps import NowDep, PageDep, PageSizeDep, SessionDep
from quintet_shared.pagination import DEFAULT_PAGE_SIZE, Page, page_of

router = APIRouter(tags=["marketplace: stores"])
UNKNOWN = unknown("store")
DUPLICATE = conflict("Another of your stores has this merchant id: `duplicate_merchant_id`")


def _settings(request: Request) -> Settings:
    return cast(Settings, request.app.state.settings)


@router.post(
    "/marketplace/stores",
    status_code=201,
    response_model=StorePublic,
    responses={**UNSIGNED, **INVALID, **DUPLICATE},
    summary="Add a store (its marketplace API token is stored encrypted and never returned)",
)
def create_store(
    data: StoreCreate, request: Request, client: ClientDep, session: SessionDep, now: NowDep
) -> StorePublic:
    settings = _settings(request)
    store = stores.create_store(session, client=client.client_code, data=data, token_key=settings.token_key, now=now)
    session.commit()
    return stores.public(store, public_url=settings.public_url)


@router.get(
    "/marketplace/stores",
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
    code, public_url = client.client_code, _settings(request).public_url
    items = stores.list_stores(session, client=code, offset=(page - 1) * page_size, limit=page_size)
    return page_of(
        [stores.public(store, public_url=public_url) for store in items],
        count=stores.count_stores(session, client=code),
        page=page,
        page_size=page_size,
        url=request.url,
    )


@router.get(
    "/marketplace/stores/{id:int}",
    response_model=StorePublic,
    responses={**UNSIGNED, **UNKNOWN, **INVALID},
    summary="One store, with its feed URL",
)
def get_store(id: RowId, request: Request, client: ClientDep, session: SessionDep) -> StorePublic:
    store = stores.get_store(session, client=client.client_code, id=id)
    return stores.public(store, public_url=_settings(request).public_url)


@router.patch(
    "/marketplace/stores/{id:int}",
    response_model=StorePublic,
    responses={**UNSIGNED, **UNKNOWN, **INVALID, **DUPLICATE},
    summary="Change a store's name, merchant id, city or API token",
)
def update_store(
    id: RowId, data: StorePatch, request: Request, client: ClientDep, session: SessionDep, now: NowDep
) -> StorePublic:
    settings = _settings(request)
    store = stores.update_store(
        session, client=client.client_code, id=id, data=data, token_key=settings.token_key, now=now
    )
    session.commit()
    return stores.public(store, public_url=settings.public_url)


@router.delete(
    "/marketplace/stores/{id:int}",
    status_code=204,
    response_class=Response,
    responses={
        **UNSIGNED,
        **UNKNOWN,
        **INVALID,
        **conflict("The store still has sales points or orders: `store_in_use`"),
    },
    summary="Delete a store without sales points or orders",
)
def delete_store(id: RowId, client: ClientDep, session: SessionDep) -> Response:
    stores.delete_store(session, client=client.client_code, id=id)
    session.commit()
    return Response(status_code=204)
