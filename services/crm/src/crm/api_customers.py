"""CRUD /crm/customers, `add_visit`, and the segments `inactive` and `high_spenders`. The fixed paths
are declared before `/crm/customers/{id}`."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from crm import customers, segments, visits
from crm.api_answers import INVALID, UNSIGNED, RowId, conflict, unknown
from crm.models import SegmentType
from crm.schemas import MAX_CENTS, MAX_DAYS, MAX_ID, AddVisit, CustomerCreate, CustomerPatch, CustomerPublic
from quintet_shared.context import ClientDep
from quintet_shared.deps import NowDep, PageDep, PageSizeDep, SessionDep
from quintet_shared.pagination import DEFAULT_PAGE_SIZE, Page, page_of

router = APIRouter(tags=["crm: customers"])
UNKNOWN = unknown("customer")
DUPLICATE = conflict("The restaurant already has a customer with this email: `duplicate_email`")
RestaurantFilter = Annotated[
    int | None, Query(ge=1, le=MAX_ID, description="Only this restaurant's (another client's: none)")
]


@router.post(
    "/crm/customers",
    status_code=201,
    response_model=CustomerPublic,
    responses={**UNSIGNED, **INVALID, **DUPLICATE},
    summary="Add a customer to a restaurant",
)
def create_customer(data: CustomerCreate, client: ClientDep, session: SessionDep, now: NowDep) -> CustomerPublic:
    customer = customers.create_customer(session, client=client.client_code, data=data, now=now)
    session.commit()
    return customers.public(customer)


@router.get(
    "/crm/customers",
    response_model=Page[CustomerPublic],
    responses={**UNSIGNED, **INVALID},
    summary="The calling client's customers, by id",
)
def list_customers(
    request: Request,
    client: ClientDep,
    session: SessionDep,
    restaurant_id: RestaurantFilter = None,
    page: PageDep = 1,
    page_size: PageSizeDep = DEFAULT_PAGE_SIZE,
) -> Page[CustomerPublic]:
    items, count = customers.list_customers(
        session, client=client.client_code, restaurant_id=restaurant_id, offset=(page - 1) * page_size, limit=page_size
    )
    return page_of([customers.public(c) for c in items], count=count, page=page, page_size=page_size, url=request.url)


@router.get(
    "/crm/customers/inactive",
    response_model=Page[CustomerPublic],
    responses={**UNSIGNED, **INVALID},
    summary="Customers without a visit since local midnight `days` days ago (never visited counts as inactive)",
)
def inactive_customers(
    request: Request,
    client: ClientDep,
    session: SessionDep,
    now: NowDep,
    days: Annotated[int, Query(ge=0, le=MAX_DAYS, description="Days without a visit")] = segments.DEFAULT_INACTIVE_DAYS,
    restaurant_id: RestaurantFilter = None,
    page: PageDep = 1,
    page_size: PageSizeDep = DEFAULT_PAGE_SIZE,
) -> Page[CustomerPublic]:
    items, count = segments.segment_page(
        session,
        client=client.client_code,
        segment_type=SegmentType.INACTIVE,
        value=days,
        now=now,
        restaurant_id=restaurant_id,
        offset=(page - 1) * page_size,
        limit=page_size,
    )
    return page_of([customers.public(c) for c in items], count=count, page=page, page_size=page_size, url=request.url)


@router.get(
    "/crm/customers/high_spenders",
    response_model=Page[CustomerPublic],
    responses={**UNSIGNED, **INVALID},
    summary="Customers whose total spend is at least `min_spend_cents`",
)
def high_spenders(
    request: Request,
    client: ClientDep,
    session: SessionDep,
    now: NowDep,
    min_spend_cents: Annotated[
        int, Query(ge=0, le=MAX_CENTS, description="Threshold in cents, inclusive")
    ] = segments.DEFAULT_MIN_SPEND_CENTS,
    restaurant_id: RestaurantFilter = None,
    page: PageDep = 1,
    page_size: PageSizeDep = DEFAULT_PAGE_SIZE,
) -> Page[CustomerPublic]:
    items, count = segments.segment_page(
        session,
        client=client.client_code,
        segment_type=SegmentType.HIGH_SPENDERS,
        value=min_spend_cents,
        now=now,
        restaurant_id=restaurant_id,
        offset=(page - 1) * page_size,
        limit=page_size,
    )
    return page_of([customers.public(c) for c in items], count=count, page=page, page_size=page_size, url=request.url)


@router.get(
    "/crm/customers/{id:int}",
    response_model=CustomerPublic,
    responses={**UNSIGNED, **UNKNOWN, **INVALID},
    summary="One customer",
)
def get_customer(id: RowId, client: ClientDep, session: SessionDep) -> CustomerPublic:
    return customers.public(customers.get_customer(session, client=client.client_code, id=id))


@router.patch(
    "/crm/customers/{id:int}",
    response_model=CustomerPublic,
    responses={**UNSIGNED, **UNKNOWN, **INVALID, **DUPLICATE},
    summary="Change a customer's email or names (totals come from the visits)",
)
def update_customer(
    id: RowId, data: CustomerPatch, client: ClientDep, session: SessionDep, now: NowDep
) -> CustomerPublic:
    customer = customers.update_customer(session, client=client.client_code, id=id, data=data, now=now)
    session.commit()
    return customers.public(customer)


@router.delete(
    "/crm/customers/{id:int}",
    status_code=204,
    response_class=Response,
    responses={**UNSIGNED, **UNKNOWN, **INVALID},
    summary="Delete a customer with its visits and outreach events",
)
def delete_customer(id: RowId, client: ClientDep, session: SessionDep) -> Response:
    customers.delete_customer(session, client=client.client_code, id=id)
    session.commit()
    return Response(status_code=204)


@router.post(
    "/crm/customers/{id:int}/add_visit",
    status_code=201,
    response_model=CustomerPublic,
    responses={**UNSIGNED, **UNKNOWN, **INVALID},
    summary="Record a visit; answers the customer with its totals (exact under concurrent calls)",
)
def add_visit(id: RowId, data: AddVisit, client: ClientDep, session: SessionDep, now: NowDep) -> CustomerPublic:
    code = client.client_code
    visits.add_visit(
        session, client=code, customer_id=id, spend_cents=data.spend_cents, visited_at=data.visited_at, now=now
    )
    session.commit()
    return customers.public(customers.get_customer(session, client=code, id=id))
