"""What the SMS routes read and answer: a delivery receipt, and the gateways' figures."""

import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field


def _iso_date(value: Any) -> Any:
    # Pydantic alone also reads a number as a Unix time (`0` → 1970-01-01): a date is YYYY-MM-DD only.
    if isinstance(value, date) or (isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value)):
        return value
    raise ValueError("must be a date, YYYY-MM-DD")


LocalDate = Annotated[date, BeforeValidator(_iso_date)]


class Receipt(BaseModel):
    """A gateway's delivery report. Fields it adds beyond these are ignored (providers add their own)."""

    model_config = ConfigDict(extra="ignore")

    msgid: str = Field(min_length=1, max_length=64, description="The id the message was sent with")
    status: Literal["delivered", "failed"]


class ReceiptAnswer(BaseModel):
    msgid: str
    status: Literal["queued", "accepted", "delivered", "failed", "expired"] = Field(
        description="The message's status after the receipt (a repeated receipt changes nothing)"
    )


class GatewayStats(BaseModel):
    gateway: str
    sent: int = Field(description="Messages it accepted")
    delivered: int = Field(description="Of those, reported delivered")
    failed: int = Field(description="Reported failed, or refused by every gateway with this one tried last")
    expired: int = Field(description="Accepted, with no receipt in SUBSCRIPTIONS_SMS_RECEIPT_HOURS")
    awaiting_receipt: int = Field(description="Accepted, no receipt yet")
    median_delivery_seconds: float | None = Field(description="From accepted to delivered; null: none delivered")


class GatewaysAnswer(BaseModel):
    day: date | None = Field(description="The local date counted; null: every date")
    gateways: list[GatewayStats]
