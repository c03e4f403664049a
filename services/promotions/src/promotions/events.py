"""Payloads of the events the promotions service publishes (it owns these contracts)."""

from datetime import datetime

from pydantic import BaseModel, Field

PROMO_STARTED = "promotions.promo.started"
PURCHASE_COMPLETED = "promotions.purchase.completed"


class PromoStarted(BaseModel):
    """`promotions.promo.started`: a promo's notification run started, once per promo (a run after an
    edit, for the users it reaches since, publishes nothing)."""

    promo_id: int
    product_id: int
    product_name: str
    store_id: int
    store_name: str
    starts_at: datetime
    ends_at: datetime
    started_at: datetime = Field(description="When the run started (at `starts_at`, or at once when created late)")
    eligible: int = Field(description="Users the run recorded a notification for (not notified that local day)")


class PurchaseCompleted(BaseModel):
    """`promotions.purchase.completed`: a hold became a purchase; written in the purchase's transaction."""

    purchase_id: int
    promo_id: int
    store_id: int
    store_name: str
    product_id: int
    product_name: str
    user: str
    email: str | None = Field(description="The user's profile email, if the profile has one")
    amount_cents: int
    currency: str
    completed_at: datetime
