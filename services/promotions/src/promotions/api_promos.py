"""CRUD /promotions/promos."""

from fastapi import APIRouter, Request, Response

from promotions import promos
from promotions.api_answers import INVALID, UNSIGNED, RowId, conflict, unknown
from promotions.schemas_promos import PromoCreate, PromoPatch, PromoPublic
from quintet_shared.context import ClientDep
from quintet_shared.deps import NowDep, PageDep, PageSizeDep, SessionDep
from quintet_shared.pagination import DEFAULT_PAGE_SIZE, Page, page_of

router = APIRouter(tags=["promotions: promos"])
UNKNOWN = unknown("promo")


@router.post(
    "/promotions/promos",
    status_code=201,
    response_model=PromoPublic,
    responses={**UNSIGNED, **INVALID},
    summary="Create a flash promo on one of your products",
    description=(
        "`ends_at` after `starts_at` (RFC 3339 with offset); `promo_price_cents` below the product's "
        "regular price, in its currency; `segments` names existing segments (at least one); `radius_km` "
        "(default 2) > 0 around the product's store; `units` (default 1) and `per_user_limit` (default 1) >= 1."
    ),
)
def create_promo(data: PromoCreate, client: ClientDep, session: SessionDep, now: NowDep) -> PromoPublic:
    promo = promos.create_promo(session, client=client.client_code, data=data, now=now)
    session.commit()
    return promos.publics(session, [promo])[0]


@router.get(
    "/promotions/promos",
    response_model=Page[PromoPublic],
    responses={**UNSIGNED, **INVALID},
    summary="The calling client's promos, by id (running or not)",
)
def list_promos(
    request: Request,
    client: ClientDep,
    session: SessionDep,
    page: PageDep = 1,
    page_size: PageSizeDep = DEFAULT_PAGE_SIZE,
) -> Page[PromoPublic]:
    code = client.client_code
    items = promos.list_promos(session, client=code, offset=(page - 1) * page_size, limit=page_size)
    count = promos.count_promos(session, client=code)
    return page_of(items, count=count, page=page, page_size=page_size, url=request.url)


@router.get(
    "/promotions/promos/{id:int}",
    response_model=PromoPublic,
    responses={**UNSIGNED, **UNKNOWN, **INVALID},
    summary="One promo",
)
def get_promo(id: RowId, client: ClientDep, session: SessionDep) -> PromoPublic:
    return promos.get_promo(session, client=client.client_code, id=id)


@router.patch(
    "/promotions/promos/{id:int}",
    response_model=PromoPublic,
    responses={
        **UNSIGNED,
        **UNKNOWN,
        **INVALID,
        **conflict("`units` below the units sold or held: `units_below_taken`"),
    },
    summary="Change a promo; the result is validated as a whole",
)
def update_promo(id: RowId, data: PromoPatch, client: ClientDep, session: SessionDep, now: NowDep) -> PromoPublic:
    promo = promos.update_promo(session, client=client.client_code, id=id, data=data, now=now)
    session.commit()
    return promos.publics(session, [promo])[0]


@router.delete(
    "/promotions/promos/{id:int}",
    status_code=204,
    response_class=Response,
    responses={**UNSIGNED, **UNKNOWN, **INVALID, **conflict("The promo has purchases: `promo_has_purchases`")},
    summary="Delete a promo without purchases (with its holds and notifications)",
)
def delete_promo(id: RowId, client: ClientDep, session: SessionDep) -> Response:
    promos.delete_promo(session, client=client.client_code, id=id)
    session.commit()
    return Response(status_code=204)
