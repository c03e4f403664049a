"""Payloads of the events the crm service publishes (it owns these contracts)."""

from datetime import datetime

from pydantic import BaseModel, Field

CAMPAIGN_COMPLETED = "crm.campaign.completed"


class CampaignCompleted(BaseModel):
    """`crm.campaign.completed`: every outreach event of a campaign's run is final (sent, failed or
    skipped). Written in the transaction that marks the campaign completed, so once per completion
    even when two runs finish together; a later run that completes it again publishes again."""

    campaign_id: int
    restaurant_id: int
    name: str
    sent: int = Field(description="Messages the relay accepted, over every run of the campaign")
    failed: int = Field(description="Messages given up on after their tries")
    skipped: int = Field(description="Customers not sent to on purpose (unsubscribed)")
    started_at: datetime | None
    completed_at: datetime
