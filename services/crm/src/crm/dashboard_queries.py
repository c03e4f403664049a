"""What the dashboard shows, read from the ledger: campaigns with their events counted by state, and a
campaign's events with their customers. Reads only; every query is scoped by the client."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from crm.models import Campaign, Customer, OutreachEvent, OutreachStatus, Restaurant

STATES = tuple(status.value for status in OutreachStatus)


@dataclass(frozen=True)
class CampaignCounts:
    """A campaign's state and its outreach events by state: what moves while it runs."""

    id: int
    status: str
    counts: dict[str, int]  # every state of OutreachStatus, zeros included
    summary: dict[str, Any] | None

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "status": self.status, "total": self.total, "summary": self.summary, **self.counts}


@dataclass(frozen=True)
class CampaignRow:
    campaign: Campaign
    restaurant_name: str
    live: CampaignCounts


@dataclass(frozen=True)
class EventRow:
    event: OutreachEvent
    email: str
    first_name: str
    last_name: str


def count_campaigns(session: Session, *, client: str) -> int:
    return session.execute(
        select(func.count()).select_from(Campaign).where(col(Campaign.client) == client)
    ).scalar_one()


def campaign_rows(session: Session, *, client: str, offset: int, limit: int) -> list[CampaignRow]:
    """The client's campaigns, newest first, with their restaurant and live counts."""
    rows = session.execute(
        select(Campaign, col(Restaurant.name))
        .join(Restaurant, col(Restaurant.id) == col(Campaign.restaurant))
        .where(col(Campaign.client) == client)
        .order_by(col(Campaign.id).desc())
        .offset(offset)
        .limit(limit)
    ).all()
    live = counts_of(session, client=client, campaigns=[campaign for campaign, _name in rows])
    return [CampaignRow(campaign, name, live[campaign.id]) for campaign, name in rows if campaign.id is not None]


def live_counts(session: Session, *, client: str, campaign_ids: Sequence[int]) -> list[CampaignCounts]:
    """The named campaigns of the client as they are now (another client's ids are left out)."""
    if not campaign_ids:
        return []
    campaigns = session.scalars(
        select(Campaign).where(col(Campaign.client) == client, col(Campaign.id).in_(campaign_ids))
    ).all()
    live = counts_of(session, client=client, campaigns=campaigns)
    return [live[campaign_id] for campaign_id in sorted(live)]


def counts_of(session: Session, *, client: str, campaigns: Sequence[Campaign]) -> dict[int, CampaignCounts]:
    ids = [campaign.id for campaign in campaigns if campaign.id is not None]
    counted: dict[int, dict[str, int]] = {campaign_id: dict.fromkeys(STATES, 0) for campaign_id in ids}
    if ids:
        grouped = session.execute(
            select(col(OutreachEvent.campaign), col(OutreachEvent.status), func.count())
            .where(col(OutreachEvent.client) == client, col(OutreachEvent.campaign).in_(ids))
            .group_by(col(OutreachEvent.campaign), col(OutreachEvent.status))
        ).all()
        for campaign_id, status, number in grouped:
            counted[campaign_id][str(status)] = int(number)
    return {
        campaign.id: CampaignCounts(campaign.id, str(campaign.status), counted[campaign.id], campaign.summary)
        for campaign in campaigns
        if campaign.id is not None
    }


def find_campaign(session: Session, *, client: str, campaign_id: int) -> tuple[Campaign, str] | None:
    row = session.execute(
        select(Campaign, col(Restaurant.name))
        .join(Restaurant, col(Restaurant.id) == col(Campaign.restaurant))
        .where(col(Campaign.client) == client, col(Campaign.id) == campaign_id)
    ).first()
    return None if row is None else (row[0], row[1])


def event_rows(session: Session, *, client: str, campaign_id: int, offset: int, limit: int) -> list[EventRow]:
    """One page of a campaign's events, in the order they were recorded, with their customers."""
    rows = session.execute(
        select(OutreachEvent, col(Customer.email), col(Customer.first_name), col(Customer.last_name))
        .join(Customer, col(Customer.id) == col(OutreachEvent.customer))
        .where(col(OutreachEvent.client) == client, col(OutreachEvent.campaign) == campaign_id)
        .order_by(col(OutreachEvent.id))
        .offset(offset)
        .limit(limit)
    ).all()
    return [EventRow(event, email, first, last) for event, email, first, last in rows]
