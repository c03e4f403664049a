"""CRUD /promotions/products."""

from fastapi import APIRouter, Request, Response

from promotions import products
from promotions.api_answers import INVALID, UNSIGNED, RowId, conflict, unknown
from promotions.schemas import ProductCreate, ProductPatch, ProductPublic
from quintet_shared.context import ClientDep
from quintet_shared.deps import NowDep, PageDep, PageSizeDep, SessionDep
from quintet_shared.pagination import DEFAULT_PAGE_SIZE, Page, page_of

router = APIRouter(tags=["promotions: products"])
UNKNOWN = unknown("product")


@router.post(
    "/promotions/products",
    status_code=201,
    response_model=ProductPublic,
    responses={**UNSIGNED, **INVALID},
    summary="Add a product to one of your stores (regular price in integer cents, ISO 4217 currency)",
)
def create_product(data: ProductCreate, client: ClientDep, session: SessionDep, now: NowDep) -> ProductPublic:
    product = products.create_product(session, client=client.client_code, data=data, now=now)
    session.commit()
    return products.public(product)


@router.get(
    "/promotions/products",
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
    count = products.count_products(session, client=code)
    return page_of(
        [products.public(product) for product in items], count=count, page=page, page_size=page_size, url=request.url
    )


@router.get(
    "/promotions/products/{id:int}",
    response_model=ProductPublic,
    responses={**UNSIGNED, **UNKNOWN, **INVALID},
    summary="One product",
)
def get_product(id: RowId, client: ClientDep, session: SessionDep) -> ProductPublic:
    return products.public(products.get_product(session, client=client.client_code, id=id))


@router.patch(
    "/promotions/products/{id:int}",
    response_model=ProductPublic,
    responses={**UNSIGNED, **UNKNOWN, **INVALID},
    summary="Change a product (its regular price stays above the price of its promos not ended)",
)
def update_product(id: RowId, data: ProductPatch, client: ClientDep, session: SessionDep, now: NowDep) -> ProductPublic:
    product = products.update_product(session, client=client.client_code, id=id, data=data, now=now)
    session.commit()
    return products.public(product)


@router.delete(
    "/promotions/products/{id:int}",
    status_code=204,
    response_class=Response,
    responses={**UNSIGNED, **UNKNOWN, **INVALID, **conflict("The product still has promos: `product_has_promos`")},
    summary="Delete a product without promos",
)
def delete_product(id: RowId, client: ClientDep, session: SessionDep) -> Response:
    products.delete_product(session, client=client.client_code, id=id)
    session.commit()
    return Response(status_code=204)
