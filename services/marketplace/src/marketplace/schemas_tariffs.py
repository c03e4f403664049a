"""What the marketplace API reads and answers for tariffs, purchases and the public landing page."""

from datetime import datetime

from pydantic import BaseModel, Field

from marketplace.schemas_common import Body, Id


class TariffPublic(BaseModel):
    id: int
    code: str
    name: str
    description: str
    price_cents: int
    currency: str
    period_days: int = Field(description="What one purchase buys")
    monitored_product_limit: int = Field(description="Repriced products monitored per round; beyond it, skipped")
    monitoring_interval_seconds: int


class PurchaseCreate(Body):
    tariff_id: Id


class PurchasePublic(BaseModel):
    id: int
    tariff_id: int
    tariff_name: str
    price_cents: int
    currency: str
    starts_at: datetime
    ends_at: datetime
    created_at: datetime


class CurrentTariff(BaseModel):
    tariff: TariffPublic | None = Field(description="Null: no tariff now, and then nothing is limited")
    purchase: PurchasePublic | None
    limited: bool = Field(description="Whether a tariff's limits apply now")


class ReviewPublic(BaseModel):
    author: str
    company: str
    text: str
    rating: int


class FaqPublic(BaseModel):
    question: str
    answer: str


class FooterLinkPublic(BaseModel):
    title: str
    url: str


class Landing(BaseModel):
    tariffs: list[TariffPublic]
    reviews: list[ReviewPublic]
    faq: list[FaqPublic]
    footer: list[FooterLinkPublic]
