"""Per-client notification settings and the notifications kept for `GET /marketplace/notifications`.

A notification is recorded in the transaction of the change it reports, then sent to Telegram
(when the client set a chat id and wants that event) and streamed to open SSE connections.
"""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, String, text
from sqlmodel import Field

from marketplace.models.base import BigId, MarketplaceModel
from quintet_shared.types import UTCDateTime


class TelegramStatus(StrEnum):
    NOT_SENT = "not_sent"  # no chat id, or the client does not want this event in Telegram
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class NotificationSetting(MarketplaceModel, table=True):
    __tablename__ = "notification_setting"
    client: str = Field(max_length=64, primary_key=True)
    telegram_chat_id: str | None = Field(default=None, max_length=64)
    events: list[str] = Field(default_factory=list, sa_type=JSON)  # event types wanted; empty: none
    updated_at: datetime = Field(sa_type=UTCDateTime)


class Notification(MarketplaceModel, table=True):
    __table_args__ = (
        Index("ix_notification_client_id", "client", "id"),
        Index(
            "ix_notification_telegram_pending",
            "id",
            postgresql_where=text("telegram_status = 'pending'"),
            sqlite_where=text("telegram_status = 'pending'"),
        ),
    )
    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True))
    client: str = Field(max_length=64)
    event: str = Field(max_length=100)  # e.g. marketplace.price.changed
    text: str = Field(max_length=4000)  # what a person reads (Telegram's message limit is 4096)
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    telegram_status: TelegramStatus = Field(default=TelegramStatus.NOT_SENT, sa_type=String(16))
    telegram_attempts: int = 0
    created_at: datetime = Field(sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
