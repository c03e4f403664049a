"""CRUD /marketplace/products, with each product's stock per sales point; its latest competitor
offers and its price history."""

from fastapi import APIRouter, Request, Response

from marketplace import offers, price_history, products
from marketplace.schemas_catalogue import (
    PriceChangePublic,
    ProductCreate,
    ProductOffersPublic,
    ProductPatch,
    ProductPublic,
)
from quintet_shared.answers import INVALID, UNSIGNED, RowId, conflict, unknown
from quintet_shared.context import ClientDep
from quintet_shared.deps import NowDep, PageDep, PageSizeDep, SessionDep
from quintet_shared.pagination import DEFAULT_PAGE_SIZE, Page, page_of

router = APIRouter(tags=["marketplace: products"])
UNKNOWN = unknown("product")
DUPLICATE = conflict("Another of your products has this SKU: `duplicate_sku`")


@router.post(
    "/marketplace/products",
    status_code=201,
    response_model=ProductPublic,
    responses={**UNSIGNED, **INVALID, **DUPLICATE},
    summary="Add a product (prices in integer cents; stock per sales point id)",
)
def create_product(data: ProductCreate, client: ClientDep, session: SessionDep, now: NowDep) -> ProductPublic:
    product = products.create_product(session, client=client.client_code, data=data, now=now)
    session.commit()
    return products.public_one(session, product)


@router.get(
    "/marketplace/products",
    response_model=Page[ProductPublic],
    responses={**UNSIGNED, **INVALID},
    summary="The calling client's products, by id",
)
def list_products(
    request: Request,
    client: ClientDep,
    session: SessionDep,
    page: PageDep = 1,
    page_size: PageSizeDep = DEFAULT_PAGE_SIZE,
) -> Page[ProductPublic]:
    code = client.client_code
    items = products.list_products(session, client=code, offset=(page - 1) * page_size, limit=page_size)
    return page_of(
        products.publics(session, items),
        count=products.count_products(session, client=code),
        page=page,
        page_size=page_size,
        url=request.url,
    )


@router.get(
    "/marketplace/products/{id:int}",
    response_model=ProductPublic,
    responses={**UNSIGNED, **UNKNOWN, **INVALID},
    summary="One product",
)
def get_product(id: RowId, client: ClientDep, session: SessionDep) -> ProductPublic:
    return products.public_one(session, products.get_product(session, client=client.client_code, id=id))


@router.patch(
    "/marketplace/products/{id:int}",
    response_model=ProductPublic,
    responses={**UNSIGNED, **UNKNOWN, **INVALID, **DUPLICATE},
    summary="Change a product; a new price is recorded in its history, `stock` sets the points it names",
)
def update_product(id: RowId, data: ProductPatch, client: ClientDep, session: SessionDep, now: NowDep) -> ProductPublic:
    product = products.update_product(session, client=client.client_code, id=id, data=data, now=now)
    session.commit()
    return products.public_one(session, product)


@router.delete(
    "/marketplace/products/{id:int}",
    status_code=204,
    response_class=Response,
    responses={**UNSIGNED, **UNKNOWN, **INVALID, **conflict("Orders name the product: `product_has_orders`")},
    summary="Delete a product no order names (its stock, offers and history go with it)",
)
def delete_product(id: RowId, client: ClientDep, session: SessionDep) -> Response:
    products.delete_product(session, client=client.client_code, id=id)
    session.commit()
    return Response(status_code=204)


@router.get(
    "/marketplace/products/{id:int}/offers",
    response_model=ProductOffersPublic,
    responses={**UNSIGNED, **UNKNOWN, **INVALID},
    summary="The competitor offers of the product's latest monitoring fetch (yours marked `own`)",
)
def get_offers(id: RowId, client: ClientDep, session: SessionDep) -> ProductOffersPublic:
    product = products.get_product(session, client=client.client_code, id=id)
    return offers.latest_offers(session, product=product)


@router.get(
    "/marketplace/products/{id:int}/price-history",
    response_model=Page[PriceChangePublic],
    responses={**UNSIGNED, **UNKNOWN, **INVALID},
    summary="Every change of the product's price with its reason, newest first",
)
def get_price_history(
    id: RowId,
    request: Request,
    client: ClientDep,
    session: SessionDep,
    page: PageDep = 1,
    page_size: PageSizeDep = DEFAULT_PAGE_SIZE,
) -> Page[PriceChangePublic]:
    product = products.get_product(session, client=client.client_code, id=id)
    assert product.id is not None
    items = price_history.list_changes(session, product_id=product.id, offset=(page - 1) * page_size, limit=page_size)
    return page_of(
        [price_history.public(change) for change in items],
        count=price_history.count_changes(session, product_id=product.id),
        page=page,
        page_size=page_size,
        url=request.url,
    )
