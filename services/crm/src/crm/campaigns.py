"""Campaigns: a message template sent to one segment of one restaurant's customers. This module
holds what is saved (create, read, change, delete); running, pausing and resuming are the
campaign runs'. The template is checked when it is saved (templates.py: 422 with the position), so a
run never meets a template it cannot render. A campaign is edited only while it is a draft (409
`campaign_not_draft`: what a run has sent is what the campaign says), and is not deleted while it
runs (409 `campaign_running`)."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlmodel import Session

from crm.models import Campaign, CampaignStatus, Restaurant, SegmentType
from crm.problems import apply, conflict, get_owned, invalid, owned_in_body
from crm.schemas import MAX_DAYS, CampaignCreate, CampaignPatch, CampaignPublic


def public(campaign: Campaign) -> CampaignPublic:
    return CampaignPublic.model_validate(campaign, from_attributes=True)


def get_campaign(session: Session, *, client: str, id: int) -> Campaign:
    return get_owned(session, Campaign, client=client, id=id, what="Campaign")


def _check_segment(segment_type: SegmentType, value: int) -> None:
    if segment_type is SegmentType.INACTIVE and value > MAX_DAYS:
        raise invalid("segment_value", f"is a number of days for an inactive segment: at most {MAX_DAYS}")


def create_campaign(session: Session, *, client: str, data: CampaignCreate, now: datetime) -> Campaign:
    owned_in_body(session, Restaurant, client=client, id=data.restaurant, field="restaurant", what="restaurant")
    _check_segment(data.segment_type, data.segment_value)
    campaign = Campaign(client=client, **data.model_dump(), created_at=now, updated_at=now)
    session.add(campaign)
    session.flush()
    return campaign


def update_campaign(session: Session, *, client: str, id: int, data: CampaignPatch, now: datetime) -> Campaign:
    campaign = get_campaign(session, client=client, id=id)
    if campaign.status != CampaignStatus.DRAFT:
        raise conflict(f"Campaign {id} is {campaign.status}; only a draft can be changed.", "campaign_not_draft")
    changes = data.changes()
    _check_segment(
        SegmentType(changes.get("segment_type", campaign.segment_type)),
        changes.get("segment_value", campaign.segment_value),
    )
    apply(campaign, changes)
    campaign.updated_at = now
    session.flush()
    return campaign


def delete_campaign(session: Session, *, client: str, id: int) -> None:
    campaign = get_campaign(session, client=client, id=id)
    if campaign.status == CampaignStatus.RUNNING:
        raise conflict(f"Campaign {id} is running; pause it first.", "campaign_running")
    session.delete(campaign)
    session.flush()


def list_campaigns(
    session: Session, *, client: str, restaurant_id: int | None, offset: int, limit: int
) -> tuple[Sequence[Campaign], int]:
    where = [Campaign.client == client]
    if restaurant_id is not None:
        where.append(Campaign.restaurant == restaurant_id)
    rows = session.execute(select(Campaign).where(*where).order_by(Campaign.id).offset(offset).limit(limit))  # type: ignore[arg-type]
    count = session.execute(select(func.count()).select_from(Campaign).where(*where)).scalar_one()
    return rows.scalars().all(), count
