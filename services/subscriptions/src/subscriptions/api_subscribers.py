"""CRUD /subscriptions/subscriptions, by msisdn. Cancelling is DELETE (or PATCH `status: cancelled`):
the row stays, cancelled, with its history; adding the msisdn again starts a new period."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from quintet_shared.context import ClientDep
from quintet_shared.deps import NowDep, PageDep, PageSizeDep, SessionDep
from quintet_shared.pagination import DEFAULT_PAGE_SIZE, Page, page_of
from subscriptions import subscribers
from subscriptions.api_answers import INVALID, UNSIGNED, conflict, unknown
from subscriptions.models import SubscriptionStatus
from subscriptions.schemas import (
    MSISDN_PATTERN,
    Msisdn,
    PlanIn,
    SubscriptionCreate,
    SubscriptionPatch,
    SubscriptionPublic,
    SubscriptionSummary,
)

router = APIRouter(tags=["subscriptions: subscriptions"])
UNKNOWN = unknown("subscription")
MsisdnPath = Annotated[str, Path(pattern=MSISDN_PATTERN, description="8 to 15 digits with the country code")]


@router.post(
    "/subscriptions/subscriptions",
    status_code=201,
    response_model=SubscriptionPublic,
    responses={**UNSIGNED, **INVALID, **conflict("The msisdn is subscribed: `msisdn_subscribed`")},
    summary="Add a subscription (or a new period of a cancelled one), linked to its nearest point",
)
def create_subscription(
    data: SubscriptionCreate, client: ClientDep, session: SessionDep, now: NowDep
) -> SubscriptionPublic:
    row = subscribers.create_subscription(session, client=client.client_code, data=data, now=now)
    answer = subscribers.public(session, row)
    session.commit()
    return answer


@router.get(
    "/subscriptions/subscriptions",
    response_model=Page[SubscriptionSummary],
    responses={**UNSIGNED, **INVALID},
    summary="The calling client's subscriptions, oldest first, by status, plan or msisdn",
)
def list_subscriptions(
    request: Request,
    client: ClientDep,
    session: SessionDep,
    status: Annotated[SubscriptionStatus | None, Query()] = None,
    plan: Annotated[PlanIn | None, Query()] = None,
    msisdn: Annotated[Msisdn | None, Query()] = None,
    page: PageDep = 1,
    page_size: PageSizeDep = DEFAULT_PAGE_SIZE,
) -> Page[SubscriptionSummary]:
    code, filters = client.client_code, {"status": status, "plan": plan, "msisdn": msisdn}
    items = subscribers.list_subscriptions(
        session, client=code, filters=filters, offset=(page - 1) * page_size, limit=page_size
    )
    count = subscribers.count_subscriptions(session, client=code, filters=filters)
    return page_of(items, count=count, page=page, page_size=page_size, url=request.url)


@router.get(
    "/subscriptions/subscriptions/{msisdn}",
    response_model=SubscriptionPublic,
    responses={**UNSIGNED, **UNKNOWN, **INVALID},
    summary="One subscription with its latest charges and SMS (100 of each, oldest first)",
)
def get_subscription(msisdn: MsisdnPath, client: ClientDep, session: SessionDep) -> SubscriptionPublic:
    return subscribers.public(session, subscribers.get_subscription(session, client=client.client_code, msisdn=msisdn))


@router.patch(
    "/subscriptions/subscriptions/{msisdn}",
    response_model=SubscriptionPublic,
    responses={**UNSIGNED, **UNKNOWN, **INVALID},
    summary="Change the location (relinked) or the plan (from the next renewal), or cancel",
)
def update_subscription(
    msisdn: MsisdnPath, data: SubscriptionPatch, client: ClientDep, session: SessionDep, now: NowDep
) -> SubscriptionPublic:
    row = subscribers.update_subscription(session, client=client.client_code, msisdn=msisdn, data=data, now=now)
    answer = subscribers.public(session, row)
    session.commit()
    return answer


@router.delete(
    "/subscriptions/subscriptions/{msisdn}",
    status_code=204,
    response_class=Response,
    responses={**UNSIGNED, **UNKNOWN, **INVALID},
    summary="Cancel a subscription (kept with its history; a second cancel changes nothing)",
)
def cancel_subscription(msisdn: MsisdnPath, client: ClientDep, session: SessionDep, now: NowDep) -> Response:
    subscribers.cancel_subscription(session, client=client.client_code, msisdn=msisdn, now=now)
    session.commit()
    return Response(status_code=204)
