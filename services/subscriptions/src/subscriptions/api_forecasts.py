"""CRUD /subscriptions/forecasts, by gid."""

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from quintet_shared.context import ClientDep
from quintet_shared.deps import NowDep, PageDep, PageSizeDep, SessionDep
from quintet_shared.pagination import DEFAULT_PAGE_SIZE, Page, page_of
from subscriptions import forecasts
from subscriptions.api_answers import INVALID, UNSIGNED, conflict, unknown
from subscriptions.schemas import GID_PATTERN, ForecastCreate, ForecastPatch, ForecastPublic

router = APIRouter(tags=["subscriptions: forecasts"])
UNKNOWN = unknown("forecast point")
GidPath = Annotated[str, Path(pattern=GID_PATTERN, description="The point's gid as given")]


@router.post(
    "/subscriptions/forecasts",
    status_code=201,
    response_model=ForecastPublic,
    responses={**UNSIGNED, **INVALID, **conflict("The gid exists: `gid_taken`")},
    summary="Add a forecast point (subscribers it is now nearest to are linked to it)",
)
def create_forecast(data: ForecastCreate, client: ClientDep, session: SessionDep, now: NowDep) -> ForecastPublic:
    point = forecasts.create_point(session, client=client.client_code, data=data, now=now)
    session.commit()
    return forecasts.public(point)


@router.get(
    "/subscriptions/forecasts",
    response_model=Page[ForecastPublic],
    responses={**UNSIGNED, **INVALID},
    summary="The calling client's forecast points, by gid",
)
def list_forecasts(
    request: Request,
    client: ClientDep,
    session: SessionDep,
    page: PageDep = 1,
    page_size: PageSizeDep = DEFAULT_PAGE_SIZE,
) -> Page[ForecastPublic]:
    code = client.client_code
    items = forecasts.list_points(session, client=code, offset=(page - 1) * page_size, limit=page_size)
    count = forecasts.count_points(session, client=code)
    return page_of([forecasts.public(p) for p in items], count=count, page=page, page_size=page_size, url=request.url)


@router.get(
    "/subscriptions/forecasts/{gid}",
    response_model=ForecastPublic,
    responses={**UNSIGNED, **UNKNOWN, **INVALID},
    summary="One forecast point",
)
def get_forecast(gid: GidPath, client: ClientDep, session: SessionDep) -> ForecastPublic:
    return forecasts.public(forecasts.get_point(session, client=client.client_code, gid=gid))


@router.patch(
    "/subscriptions/forecasts/{gid}",
    response_model=ForecastPublic,
    responses={**UNSIGNED, **UNKNOWN, **INVALID},
    summary="Change a point's location or forecast (a move relinks the subscribers)",
)
def update_forecast(
    gid: GidPath, data: ForecastPatch, client: ClientDep, session: SessionDep, now: NowDep
) -> ForecastPublic:
    point = forecasts.update_point(session, client=client.client_code, gid=gid, data=data, now=now)
    session.commit()
    return forecasts.public(point)


@router.delete(
    "/subscriptions/forecasts/{gid}",
    status_code=204,
    response_class=Response,
    responses={**UNSIGNED, **UNKNOWN, **INVALID},
    summary="Delete a point (its subscribers are linked to their next nearest)",
)
def delete_forecast(gid: GidPath, client: ClientDep, session: SessionDep) -> Response:
    forecasts.delete_point(session, client=client.client_code, gid=gid)
    session.commit()
    return Response(status_code=204)
