"""The public landing content (tariffs on sale, reviews, FAQ, footer), and its loading by operators.

The content is the operator's, shared by every client. `load_landing` replaces reviews, FAQ and
footer with a file's, and creates or updates its tariffs by `code` (a tariff the file leaves out is
retired, not deleted: purchases name it). Loaded in one transaction, so the page never shows half.
"""

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import delete, select
from sqlmodel import Session

from marketplace import tariffs
from marketplace.models import FaqEntry, FooterLink, Review, Tariff
from marketplace.schemas_tariffs import FaqPublic, FooterLinkPublic, Landing, ReviewPublic

_Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TariffIn(_Strict):
    code: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_-]{1,64}$")]
    name: _Line
    description: Annotated[str, StringConstraints(max_length=2000)] = ""
    price_cents: int = Field(ge=0, le=10**15)
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] = "KZT"
    period_days: int = Field(30, ge=1, le=3660)
    monitored_product_limit: int = Field(ge=0, le=10**9)
    monitoring_interval_seconds: int = Field(ge=60, le=7 * 86_400)


class ReviewIn(_Strict):
    author: _Line
    company: Annotated[str, StringConstraints(max_length=200)] = ""
    text: Annotated[str, StringConstraints(min_length=1, max_length=2000)]
    rating: int = Field(5, ge=1, le=5)


class FaqIn(_Strict):
    question: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    answer: Annotated[str, StringConstraints(min_length=1, max_length=4000)]


class FooterIn(_Strict):
    title: _Line
    url: Annotated[str, StringConstraints(pattern=r"^(https?://|/|mailto:|tel:)\S{0,480}$")]


class LandingIn(_Strict):
    tariffs: list[TariffIn] = Field(default_factory=list, max_length=50)
    reviews: list[ReviewIn] = Field(default_factory=list, max_length=200)
    faq: list[FaqIn] = Field(default_factory=list, max_length=200)
    footer: list[FooterIn] = Field(default_factory=list, max_length=100)


def landing(session: Session) -> Landing:
    def ordered(model: Any) -> list[Any]:
        return list(session.execute(select(model).order_by(model.position, model.id)).scalars())

    return Landing(
        tariffs=[tariffs.public(tariff) for tariff in tariffs.active_tariffs(session)],
        reviews=[ReviewPublic.model_validate(row, from_attributes=True) for row in ordered(Review)],
        faq=[FaqPublic.model_validate(row, from_attributes=True) for row in ordered(FaqEntry)],
        footer=[FooterLinkPublic.model_validate(row, from_attributes=True) for row in ordered(FooterLink)],
    )


def load_landing(session: Session, content: LandingIn, *, now: datetime) -> dict[str, int]:
    """Replaces the landing content with `content` (not committed: the caller commits)."""
    existing = {tariff.code: tariff for tariff in session.execute(select(Tariff)).scalars()}
    for position, item in enumerate(content.tariffs):
        tariff = existing.pop(item.code, None) or Tariff(**item.model_dump(), created_at=now, updated_at=now)
        for name, value in item.model_dump().items():
            setattr(tariff, name, value)
        tariff.position, tariff.active, tariff.updated_at = position, True, now
        session.add(tariff)
    for retired in existing.values():
        retired.active, retired.updated_at = False, now
        session.add(retired)
    for model, items in ((Review, content.reviews), (FaqEntry, content.faq), (FooterLink, content.footer)):
        session.execute(delete(model))
        session.add_all(
            model(**item.model_dump(), position=position, created_at=now) for position, item in enumerate(items)
        )
    session.flush()
    return {
        "tariffs": len(content.tariffs),
        "reviews": len(content.reviews),
        "faq": len(content.faq),
        "footer": len(content.footer),
    }
