"""The seller tool's public landing content besides tariffs: reviews, FAQ and footer links.

The operator's, shared by every client, read without an app id at GET /marketplace/public/landing.
"""

from datetime import datetime

from sqlalchemy import CheckConstraint
from sqlmodel import Field

from marketplace.models.base import MarketplaceModel
from quintet_shared.types import UTCDateTime


class Review(MarketplaceModel, table=True):
    __table_args__ = (CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),)
    id: int | None = Field(default=None, primary_key=True)
    author: str = Field(max_length=200)
    company: str = Field(default="", max_length=200)
    text: str = Field(max_length=2000)
    rating: int = 5
    position: int = 0
    created_at: datetime = Field(sa_type=UTCDateTime)


class FaqEntry(MarketplaceModel, table=True):
    __tablename__ = "faq_entry"
    id: int | None = Field(default=None, primary_key=True)
    question: str = Field(max_length=500)
    answer: str = Field(max_length=4000)
    position: int = 0
    created_at: datetime = Field(sa_type=UTCDateTime)


class FooterLink(MarketplaceModel, table=True):
    __tablename__ = "footer_link"
    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    url: str = Field(max_length=500)
    position: int = 0
    created_at: datetime = Field(sa_type=UTCDateTime)
