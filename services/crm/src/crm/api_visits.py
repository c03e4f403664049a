"""CRUD /crm/visits: every change refreshes the customer's totals in the same transaction."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from crm import visits
from crm.api_answers import INVALID, UNSIGNED, RowId, unknown
from crm.schemas import MAX_ID, VisitCreate, VisitPatch, VisitPublic
from quintet_shared.context import ClientDep
from quintet_shared.deps import NowDep, PageDep, PageSizeDep, SessionDep
from quintet_shared.pagination import DEFAULT_PAGE_SIZE, Page, page_of

router = APIRouter(tags=["crm: visits"])
UNKNOWN = unknown("visit")


@router.post(
    "/crm/visits",
    status_code=201,
    response_model=VisitPublic,
    responses={**UNSIGNED, **INVALID},
    summary="Record a visit of a customer (its totals follow)",
)
def create_visit(data: VisitCreate, client: ClientDep, session: SessionDep, now: NowDep) -> VisitPublic:
    visit = visits.create_visit(session, client=client.client_code, data=data, now=now)
    session.commit()
    return visits.public(visit)


@router.get(
    "/crm/visits",
    response_model=Page[VisitPublic],
    responses={**UNSIGNED, **INVALID},
    summary="The calling client's visits, by id",
)
def list_visits(
    request: Request,
    client: ClientDep,
    session: SessionDep,
    customer_id: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Only this customer's")] = None,
    page: PageDep = 1,
    page_size: PageSizeDep = DEFAULT_PAGE_SIZE,
) -> Page[VisitPublic]:
    items, count = visits.list_visits(
        session, client=client.client_code, customer_id=customer_id, offset=(page - 1) * page_size, limit=page_size
    )
    return page_of([visits.public(v) for v in items], count=count, page=page, page_size=page_size, url=request.url)


@router.get(
    "/crm/visits/{id:int}",
    response_model=VisitPublic,
    responses={**UNSIGNED, **UNKNOWN, **INVALID},
    summary="One visit",
)
def get_visit(id: RowId, client: ClientDep, session: SessionDep) -> VisitPublic:
    return visits.public(visits.get_visit(session, client=client.client_code, id=id))


@router.patch(
    "/crm/visits/{id:int}",
    response_model=VisitPublic,
    responses={**UNSIGNED, **UNKNOWN, **INVALID},
    summary="Change a visit's spend, time or customer (the totals of both customers follow)",
)
def update_visit(id: RowId, data: VisitPatch, client: ClientDep, session: SessionDep, now: NowDep) -> VisitPublic:
    visit = visits.update_visit(session, client=client.client_code, id=id, data=data, now=now)
    session.commit()
    return visits.public(visit)


@router.delete(
    "/crm/visits/{id:int}",
    status_code=204,
    response_class=Response,
    responses={**UNSIGNED, **UNKNOWN, **INVALID},
    summary="Delete a visit (its customer's totals follow)",
)
def delete_visit(id: RowId, client: ClientDep, session: SessionDep, now: NowDep) -> Response:
    visits.delete_visit(session, client=client.client_code, id=id, now=now)
    session.commit()
    return Response(status_code=204)
