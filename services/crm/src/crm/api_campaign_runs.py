"""Running a campaign: `run`, `pause`, `resume`, and its outreach events."""

from typing import Annotated

from fastapi import APIRouter, Query, Request

from crm import campaign_runs, campaigns, outreach_queries
from crm.api_answers import INVALID, UNSIGNED, RowId, conflict, unknown
from crm.models import OutreachStatus
from crm.schemas import CampaignPublic, OutreachEventPublic
from quintet_shared.context import ClientDep
from quintet_shared.deps import NowDep, PageDep, PageSizeDep, SessionDep
from quintet_shared.jobs import JobAccepted
from quintet_shared.pagination import DEFAULT_PAGE_SIZE, Page, page_of

router = APIRouter(tags=["crm: campaign runs"])
UNKNOWN = unknown("campaign")


class CampaignRun(JobAccepted):
    """The queued job that sends the campaign, and the campaign as it now is (`running`)."""

    campaign: CampaignPublic


def _accepted(queued: campaign_runs.Queued) -> CampaignRun:
    job = JobAccepted.for_job("crm", queued.job.job_id)
    return CampaignRun(**job.model_dump(), campaign=campaigns.public(queued.campaign))


@router.post(
    "/crm/campaigns/{id:int}/run",
    status_code=202,
    response_model=CampaignRun,
    responses={
        **UNSIGNED,
        **UNKNOWN,
        **INVALID,
        **conflict("A paused campaign is resumed, not run: `campaign_paused`"),
    },
    summary="Send the campaign to its segment, as a job",
    description=(
        "Marks the campaign `running` and queues the job that records its segment (one outreach event per "
        "customer; customers already sent to by an earlier run are not added again; unsubscribed ones are "
        "`skipped`) and sends it in batches. The campaign becomes `completed`, with a summary `{sent, failed, "
        "skipped}`, once every event is final. Running a running campaign is allowed and sends nothing twice."
    ),
)
def run_campaign(id: RowId, client: ClientDep, session: SessionDep, now: NowDep) -> CampaignRun:
    queued = campaign_runs.run_campaign(session, client=client.client_code, campaign_id=id, now=now)
    session.commit()
    return _accepted(queued)


@router.post(
    "/crm/campaigns/{id:int}/pause",
    response_model=CampaignPublic,
    responses={**UNSIGNED, **UNKNOWN, **INVALID, **conflict("Only a running campaign pauses: `campaign_not_running`")},
    summary="Stop sending after the batch in flight",
)
def pause_campaign(id: RowId, client: ClientDep, session: SessionDep, now: NowDep) -> CampaignPublic:
    campaign = campaign_runs.pause_campaign(session, client=client.client_code, campaign_id=id, now=now)
    session.commit()
    return campaigns.public(campaign)


@router.post(
    "/crm/campaigns/{id:int}/resume",
    status_code=202,
    response_model=CampaignRun,
    responses={**UNSIGNED, **UNKNOWN, **INVALID, **conflict("Only a paused campaign resumes: `campaign_not_paused`")},
    summary="Send what a paused campaign has not sent yet, as a job",
)
def resume_campaign(id: RowId, client: ClientDep, session: SessionDep, now: NowDep) -> CampaignRun:
    queued = campaign_runs.resume_campaign(session, client=client.client_code, campaign_id=id, now=now)
    session.commit()
    return _accepted(queued)


@router.get(
    "/crm/campaigns/{id:int}/events",
    response_model=Page[OutreachEventPublic],
    responses={**UNSIGNED, **UNKNOWN, **INVALID},
    summary="The campaign's outreach events, by id",
)
def campaign_events(
    id: RowId,
    request: Request,
    client: ClientDep,
    session: SessionDep,
    status: Annotated[OutreachStatus | None, Query(description="Only events in this state")] = None,
    page: PageDep = 1,
    page_size: PageSizeDep = DEFAULT_PAGE_SIZE,
) -> Page[OutreachEventPublic]:
    campaigns.get_campaign(session, client=client.client_code, id=id)  # 404 for another client's
    items, count = outreach_queries.list_events(
        session,
        client=client.client_code,
        campaign_id=id,
        status=status,
        offset=(page - 1) * page_size,
        limit=page_size,
    )
    results = [OutreachEventPublic.model_validate(item, from_attributes=True) for item in items]
    return page_of(results, count=count, page=page, page_size=page_size, url=request.url)
