"""CRUD /crm/campaigns (running them is the campaign runs')."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from crm import campaigns
from crm.api_answers import INVALID, UNSIGNED, RowId, conflict, unknown
from crm.schemas import MAX_ID, CampaignCreate, CampaignPatch, CampaignPublic
from quintet_shared.context import ClientDep
from quintet_shared.deps import NowDep, PageDep, PageSizeDep, SessionDep
from quintet_shared.pagination import DEFAULT_PAGE_SIZE, Page, page_of

router = APIRouter(tags=["crm: campaigns"])
UNKNOWN = unknown("campaign")


@router.post(
    "/crm/campaigns",
    status_code=201,
    response_model=CampaignPublic,
    responses={**UNSIGNED, **INVALID},
    summary="Add a draft campaign (its template's placeholders are checked now)",
)
def create_campaign(data: CampaignCreate, client: ClientDep, session: SessionDep, now: NowDep) -> CampaignPublic:
    campaign = campaigns.create_campaign(session, client=client.client_code, data=data, now=now)
    session.commit()
    return campaigns.public(campaign)


@router.get(
    "/crm/campaigns",
    response_model=Page[CampaignPublic],
    responses={**UNSIGNED, **INVALID},
    summary="The calling client's campaigns, by id",
)
def list_campaigns(
    request: Request,
    client: ClientDep,
    session: SessionDep,
    restaurant_id: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Only this restaurant's")] = None,
    page: PageDep = 1,
    page_size: PageSizeDep = DEFAULT_PAGE_SIZE,
) -> Page[CampaignPublic]:
    items, count = campaigns.list_campaigns(
        session, client=client.client_code, restaurant_id=restaurant_id, offset=(page - 1) * page_size, limit=page_size
    )
    return page_of([campaigns.public(c) for c in items], count=count, page=page, page_size=page_size, url=request.url)


@router.get(
    "/crm/campaigns/{id:int}",
    response_model=CampaignPublic,
    responses={**UNSIGNED, **UNKNOWN, **INVALID},
    summary="One campaign",
)
def get_campaign(id: RowId, client: ClientDep, session: SessionDep) -> CampaignPublic:
    return campaigns.public(campaigns.get_campaign(session, client=client.client_code, id=id))


@router.patch(
    "/crm/campaigns/{id:int}",
    response_model=CampaignPublic,
    responses={**UNSIGNED, **UNKNOWN, **INVALID, **conflict("Only a draft can be changed: `campaign_not_draft`")},
    summary="Change a draft campaign",
)
def update_campaign(
    id: RowId, data: CampaignPatch, client: ClientDep, session: SessionDep, now: NowDep
) -> CampaignPublic:
    campaign = campaigns.update_campaign(session, client=client.client_code, id=id, data=data, now=now)
    session.commit()
    return campaigns.public(campaign)


@router.delete(
    "/crm/campaigns/{id:int}",
    status_code=204,
    response_class=Response,
    responses={**UNSIGNED, **UNKNOWN, **INVALID, **conflict("A running campaign is paused first: `campaign_running`")},
    summary="Delete a campaign that is not running, with its outreach events",
)
def delete_campaign(id: RowId, client: ClientDep, session: SessionDep) -> Response:
    campaigns.delete_campaign(session, client=client.client_code, id=id)
    session.commit()
    return Response(status_code=204)
