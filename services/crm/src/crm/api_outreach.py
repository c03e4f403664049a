"""`GET /crm/outreach-events`: the client's outreach events across campaigns."""

from typing import Annotated

from fastapi import APIRouter, Query, Request

from crm import outreach_queries
from crm.api_answers import INVALID, UNSIGNED
from crm.models import OutreachStatus
from crm.schemas import MAX_ID, OutreachEventPublic
from quintet_shared.context import ClientDep
from quintet_shared.deps import PageDep, PageSizeDep, SessionDep
from quintet_shared.pagination import DEFAULT_PAGE_SIZE, Page, page_of

router = APIRouter(tags=["crm: campaign runs"])


@router.get(
    "/crm/outreach-events",
    response_model=Page[OutreachEventPublic],
    responses={**UNSIGNED, **INVALID},
    summary="The calling client's outreach events, by id",
)
def list_outreach_events(
    request: Request,
    client: ClientDep,
    session: SessionDep,
    campaign_id: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Only this campaign's")] = None,
    customer_id: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Only this customer's")] = None,
    status: Annotated[OutreachStatus | None, Query(description="Only events in this state")] = None,
    page: PageDep = 1,
    page_size: PageSizeDep = DEFAULT_PAGE_SIZE,
) -> Page[OutreachEventPublic]:
    items, count = outreach_queries.list_events(
        session,
        client=client.client_code,
        campaign_id=campaign_id,
        customer_id=customer_id,
        status=status,
        offset=(page - 1) * page_size,
        limit=page_size,
    )
    results = [OutreachEventPublic.model_validate(item, from_attributes=True) for item in items]
    return page_of(results, count=count, page=page, page_size=page_size, url=request.url)
