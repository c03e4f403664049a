"""Running, pausing and resuming a campaign: state changes that queue the sending job.

`run` marks the campaign running and queues its job in one transaction (the original queued the
task first, so a fast task's `completed` could be overwritten by `running`). Each run is stamped with
its start (`started_at`), carried by its job: only the job of the campaign's current run may complete
it, so a run started while an older one is still sending is not completed under it. A run of a
running campaign is allowed (two runs at once share the ledger and never send twice); a paused one
is resumed, not run (409 `campaign_paused`).

`pause` takes effect between batches: the job reads the status before each batch and stops. `resume`
queues a job for the same run, which sends what the ledger still has queued, without recording the
segment again.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from crm.models import Campaign, CampaignStatus
from crm.problems import conflict, get_owned
from quintet_shared.jobs import JobPublic, enqueue_job

RUN_JOB = "crm.campaign.run"


@dataclass(frozen=True)
class Queued:
    campaign: Campaign
    job: JobPublic


def run_campaign(session: Session, *, client: str, campaign_id: int, now: datetime) -> Queued:
    campaign = _locked(session, client=client, campaign_id=campaign_id)
    if campaign.status == CampaignStatus.PAUSED:
        raise conflict(f"Campaign {campaign_id} is paused; resume it.", "campaign_paused")
    campaign.status = CampaignStatus.RUNNING
    campaign.started_at = now
    campaign.completed_at = None
    campaign.summary = None
    campaign.updated_at = now
    return Queued(campaign, _queue(session, campaign, record=True, now=now))


def pause_campaign(session: Session, *, client: str, campaign_id: int, now: datetime) -> Campaign:
    campaign = _locked(session, client=client, campaign_id=campaign_id)
    if campaign.status == CampaignStatus.PAUSED:
        return campaign  # pausing twice is still paused
    if campaign.status != CampaignStatus.RUNNING:
        raise conflict(
            f"Campaign {campaign_id} is {campaign.status}; only a running campaign pauses.", "campaign_not_running"
        )
    campaign.status = CampaignStatus.PAUSED
    campaign.updated_at = now
    session.flush()
    return campaign


def resume_campaign(session: Session, *, client: str, campaign_id: int, now: datetime) -> Queued:
    campaign = _locked(session, client=client, campaign_id=campaign_id)
    if campaign.status != CampaignStatus.PAUSED:
        raise conflict(
            f"Campaign {campaign_id} is {campaign.status}; only a paused campaign resumes.", "campaign_not_paused"
        )
    campaign.status = CampaignStatus.RUNNING
    campaign.updated_at = now
    return Queued(campaign, _queue(session, campaign, record=False, now=now))


def _locked(session: Session, *, client: str, campaign_id: int) -> Campaign:
    campaign = get_owned(session, Campaign, client=client, id=campaign_id, what="Campaign")
    session.refresh(campaign, with_for_update=True)  # run, pause and resume of one campaign take turns
    return campaign


def _queue(session: Session, campaign: Campaign, *, record: bool, now: datetime) -> JobPublic:
    session.flush()
    assert campaign.started_at is not None and campaign.id is not None
    payload = {"campaign_id": campaign.id, "run_started_at": campaign.started_at.isoformat(), "record": record}
    return enqueue_job(session, service="crm", kind=RUN_JOB, client=campaign.client, payload=payload, clock=lambda: now)
