"""CRUD /crm/restaurants."""

from fastapi import APIRouter, Request, Response

from crm import restaurants
from crm.api_answers import INVALID, UNSIGNED, RowId, conflict, unknown
from crm.schemas import RestaurantCreate, RestaurantPatch, RestaurantPublic
from quintet_shared.context import ClientDep
from quintet_shared.deps import NowDep, PageDep, PageSizeDep, SessionDep
from quintet_shared.pagination import DEFAULT_PAGE_SIZE, Page, page_of

router = APIRouter(tags=["crm: restaurants"])
UNKNOWN = unknown("restaurant")
LINKED = conflict("A linked store is already linked to another restaurant: `store_already_linked`")


@router.post(
    "/crm/restaurants",
    status_code=201,
    response_model=RestaurantPublic,
    responses={**UNSIGNED, **INVALID, **LINKED},
    summary="Add a restaurant (its time zone is the day its segments count in; links: stores whose sales are visits)",
)
def create_restaurant(data: RestaurantCreate, client: ClientDep, session: SessionDep, now: NowDep) -> RestaurantPublic:
    restaurant = restaurants.create_restaurant(session, client=client.client_code, data=data, now=now)
    answer = restaurants.public(session, restaurant)
    session.commit()
    return answer


@router.get(
    "/crm/restaurants",
    response_model=Page[RestaurantPublic],
    responses={**UNSIGNED, **INVALID},
    summary="The calling client's restaurants, by id",
)
def list_restaurants(
    request: Request,
    client: ClientDep,
    session: SessionDep,
    page: PageDep = 1,
    page_size: PageSizeDep = DEFAULT_PAGE_SIZE,
) -> Page[RestaurantPublic]:
    code = client.client_code
    items = restaurants.list_restaurants(session, client=code, offset=(page - 1) * page_size, limit=page_size)
    count = restaurants.count_restaurants(session, client=code)
    results = restaurants.public_many(session, items)
    return page_of(results, count=count, page=page, page_size=page_size, url=request.url)


@router.get(
    "/crm/restaurants/{id:int}",
    response_model=RestaurantPublic,
    responses={**UNSIGNED, **UNKNOWN, **INVALID},
    summary="One restaurant",
)
def get_restaurant(id: RowId, client: ClientDep, session: SessionDep) -> RestaurantPublic:
    return restaurants.public(session, restaurants.get_restaurant(session, client=client.client_code, id=id))


@router.patch(
    "/crm/restaurants/{id:int}",
    response_model=RestaurantPublic,
    responses={**UNSIGNED, **UNKNOWN, **INVALID, **LINKED},
    summary="Change a restaurant's name, time zone or links (links sent replace them all)",
)
def update_restaurant(
    id: RowId, data: RestaurantPatch, client: ClientDep, session: SessionDep, now: NowDep
) -> RestaurantPublic:
    restaurant = restaurants.update_restaurant(session, client=client.client_code, id=id, data=data, now=now)
    answer = restaurants.public(session, restaurant)
    session.commit()
    return answer


@router.delete(
    "/crm/restaurants/{id:int}",
    status_code=204,
    response_class=Response,
    responses={
        **UNSIGNED,
        **UNKNOWN,
        **INVALID,
        **conflict("It still has customers or campaigns: `restaurant_in_use`"),
    },
    summary="Delete a restaurant without customers or campaigns",
)
def delete_restaurant(id: RowId, client: ClientDep, session: SessionDep) -> Response:
    restaurants.delete_restaurant(session, client=client.client_code, id=id)
    session.commit()
    return Response(status_code=204)
