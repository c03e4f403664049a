"""GET /promotions/promos/running, /promotions/promos/eligible?user= and /promotions/promos/{id}/stats.

Declared before the promo CRUD routes, whose `/promotions/promos/{id}` would otherwise take
`running` and `eligible` as an id.
"""

from typing import Annotated

from fastapi import APIRouter, Query, Request

from promotions import eligibility, running, stock
from promotions.api_answers import INVALID, UNSIGNED, RowId, unknown
from promotions.models import Promo
from promotions.problems import get_owned
from promotions.schemas_promos import EligiblePromo, PromoStats, RunningPromo
from quintet_shared.context import ClientDep
from quintet_shared.deps import NowDep, PageDep, PageSizeDep, SessionDep
from quintet_shared.pagination import DEFAULT_PAGE_SIZE, Page, page_of

router = APIRouter(tags=["promotions: promos"])


@router.get(
    "/promotions/promos/running",
    response_model=Page[RunningPromo],
    responses={**UNSIGNED, **INVALID},
    summary="Promos on sale now: active, started, not ended, not sold out; soonest to end first",
)
def running_promos(
    request: Request,
    client: ClientDep,
    session: SessionDep,
    now: NowDep,
    page: PageDep = 1,
    page_size: PageSizeDep = DEFAULT_PAGE_SIZE,
) -> Page[RunningPromo]:
    code = client.client_code
    items = running.list_running(session, client=code, now=now, offset=(page - 1) * page_size, limit=page_size)
    count = running.count_running(session, client=code, now=now)
    return page_of(items, count=count, page=page, page_size=page_size, url=request.url)


@router.get(
    "/promotions/promos/eligible",
    response_model=Page[EligiblePromo],
    responses={**UNSIGNED, **unknown("profile"), **INVALID},
    summary="The running promos a user may take, nearest first, each with its distance",
    description=(
        "Running promos sharing a segment with the user whose store lies within the promo's radius of "
        "the user (great-circle distance). A user without a location or segments has none; an unknown "
        "user is 404."
    ),
)
def eligible_promos(
    request: Request,
    client: ClientDep,
    session: SessionDep,
    now: NowDep,
    user: Annotated[str, Query(min_length=1, max_length=200, description="The client's reference for its user")],
    page: PageDep = 1,
    page_size: PageSizeDep = DEFAULT_PAGE_SIZE,
) -> Page[EligiblePromo]:
    items = eligibility.eligible_promos(session, client=client.client_code, user=user, now=now)
    start = (page - 1) * page_size
    return page_of(items[start : start + page_size], count=len(items), page=page, page_size=page_size, url=request.url)


@router.get(
    "/promotions/promos/{id:int}/stats",
    response_model=PromoStats,
    responses={**UNSIGNED, **unknown("promo"), **INVALID},
    summary="A promo's units, live holds, purchases and users notified",
)
def promo_stats(id: RowId, client: ClientDep, session: SessionDep, now: NowDep) -> PromoStats:
    promo = get_owned(session, Promo, client=client.client_code, id=id, what="Promo")
    return stock.promo_stats(session, promo=promo, now=now)
