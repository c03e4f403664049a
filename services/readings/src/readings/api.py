"""Readings routes, served under /readings/ behind the gateway signature.

Fixed paths are declared before `/readings/{identifier}`, which would otherwise take them as an
identifier. Identifiers are strings: the 22-digit ones start with a zero.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse

from quintet_shared.context import ClientDep
from quintet_shared.deps import PageDep, PageSizeDep, SessionDep
from quintet_shared.errors import documented_problem
from quintet_shared.pagination import DEFAULT_PAGE_SIZE, Page, page_of
from readings import queries
from readings.consumption_queries import consumption_of
from readings.schemas import (
    ConsumptionPublic,
    Granularity,
    ReadingPublic,
    ReadingsV2,
    Rfc3339,
    SupplyPointDetail,
    SupplyPointSummary,
    V2Error,
)

router = APIRouter(tags=["readings"])

NOT_A_SUPPLY_POINT = "Not a valid Supply Point!"

Identifier = Annotated[str, Path(min_length=1, max_length=64, description="Supply point identifier, as sent")]
FromDt = Annotated[Rfc3339 | None, Query(description="Inclusive lower bound, RFC 3339 with offset")]
ToDt = Annotated[Rfc3339 | None, Query(description="Exclusive upper bound, RFC 3339 with offset")]


Responses = dict[int | str, dict[str, Any]]
UNSIGNED: Responses = {
    401: documented_problem("The request did not come through the gateway, or its signature is invalid or stale")
}
UNKNOWN: Responses = {404: documented_problem("The calling client has no supply point with this identifier")}
INVALID: Responses = {422: documented_problem("A parameter is malformed (each one is named in `errors`)")}


@router.get(
    "/readings/supply-points",
    response_model=Page[SupplyPointSummary],
    responses={**UNSIGNED, **INVALID},
    summary="The calling client's supply points, with meter and reading counts",
)
def supply_points(
    request: Request,
    client: ClientDep,
    session: SessionDep,
    page: PageDep = 1,
    page_size: PageSizeDep = DEFAULT_PAGE_SIZE,
) -> Page[SupplyPointSummary]:
    code = client.client_code
    items = queries.list_supply_points(session, client=code, offset=(page - 1) * page_size, limit=page_size)
    count = queries.count_supply_points(session, client=code)
    return page_of(items, count=count, page=page, page_size=page_size, url=request.url)


@router.get(
    "/readings/supply-points/{identifier}",
    response_model=SupplyPointDetail,
    responses={**UNSIGNED, **UNKNOWN, **INVALID},
    summary="One supply point with its meters",
)
def supply_point(identifier: Identifier, client: ClientDep, session: SessionDep) -> SupplyPointDetail:
    return queries.supply_point_detail(session, client=client.client_code, identifier=identifier)


@router.get(
    "/readings/v2/{identifier}",
    response_model=ReadingsV2,
    responses={
        **UNSIGNED,
        400: {"model": V2Error, "description": f'Not a supply point of the calling client: "{NOT_A_SUPPLY_POINT}"'},
        **INVALID,
    },
    summary="A supply point's readings in the original v2 envelope",
    description=(
        "Same readings and bounds as `GET /readings/{identifier}`, wrapped as `{status, data}`. Any "
        "identifier that is not one of the caller's supply points answers 400 "
        f'`{{"status": false, "error": "{NOT_A_SUPPLY_POINT}"}}`, as the original clients expect.'
    ),
)
def readings_v2(
    identifier: str, client: ClientDep, session: SessionDep, from_dt: FromDt = None, to_dt: ToDt = None
) -> ReadingsV2 | JSONResponse:
    try:
        found = queries.readings_of(session, client=client.client_code, identifier=identifier, start=from_dt, end=to_dt)
    except queries.UnknownSupplyPoint:
        return JSONResponse(V2Error(error=NOT_A_SUPPLY_POINT).model_dump(), status_code=400)
    return ReadingsV2(data=found)


@router.get(
    "/readings/{identifier}/consumption",
    response_model=ConsumptionPublic,
    responses={**UNSIGNED, **UNKNOWN, **INVALID},
    summary="Energy used per hour, day or month of the client's time zone",
    description=(
        "Periods are the client's local calendar periods, clipped to `[from, to)`; every period is listed "
        "(0.0000 and `has_data` false when no reading covers it). Interval readings count in the period "
        "their interval starts in; register differences are spread linearly over the time between two "
        "reads of a meter; a register that went down is reported in `warnings` and not counted. At most "
        "366 days at hour granularity, 3653 days at day or month."
    ),
)
def consumption(
    identifier: Identifier,
    client: ClientDep,
    session: SessionDep,
    start: Annotated[Rfc3339, Query(alias="from", description="Inclusive, RFC 3339 with offset")],
    end: Annotated[Rfc3339, Query(alias="to", description="Exclusive, RFC 3339 with offset")],
    granularity: Granularity,
) -> ConsumptionPublic:
    return consumption_of(
        session, client=client.client_code, identifier=identifier, start=start, end=end, granularity=granularity
    )


@router.get(
    "/readings/{identifier}",
    response_model=list[ReadingPublic],
    responses={**UNSIGNED, **UNKNOWN, **INVALID},
    summary="A supply point's readings, oldest first (the original v1)",
    description=(
        "`from_dt` is inclusive and `to_dt` exclusive. Deleted readings are left out. There are no pages "
        f"(the original contract): a range holding more than {queries.MAX_READINGS} readings is refused "
        "with 422, asking for a narrower one."
    ),
)
def readings_v1(
    identifier: Identifier, client: ClientDep, session: SessionDep, from_dt: FromDt = None, to_dt: ToDt = None
) -> list[ReadingPublic]:
    return queries.readings_of(session, client=client.client_code, identifier=identifier, start=from_dt, end=to_dt)
