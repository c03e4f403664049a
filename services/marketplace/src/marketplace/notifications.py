"""Notifications: recorded in the transaction of what they report, listed, streamed, sent to Telegram.

Every notification is kept (`GET /marketplace/notifications`) and streamed to open SSE connections
(marketplace.api_notifications); it is also sent to Telegram when the client set a chat id and lists
its event among those it wants (`PUT /marketplace/notifications/settings`): recorded `pending`, then
sent by marketplace.notify_telegram after the round, or by the worker's schedule.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session

from marketplace.models import Notification, NotificationSetting, TelegramStatus
from marketplace.price_events import PRICE_CHANGED
from quintet_shared.envelope import Envelope

MONITORING_LIMITED = "marketplace.monitoring.limited"
# What a client can ask to hear about (the event catalogue's types, and monitoring's own notice).
NOTIFIED_EVENTS = (PRICE_CHANGED, MONITORING_LIMITED, "marketplace.order.placed")
MAX_TEXT = 4000


def record(session: Session, *, client: str, event: str, text: str, data: dict[str, Any], now: datetime) -> None:
    record_many(session, client=client, items=[(event, text, data)], now=now)


def record_many(session: Session, *, client: str, items: list[tuple[str, str, dict[str, Any]]], now: datetime) -> None:
    """Record `(event, text, data)` notifications of one client in one statement."""
    setting = session.get(NotificationSetting, client)
    wanted = set(setting.events) if setting is not None and setting.telegram_chat_id else set()
    rows = [
        {
            "client": client,
            "event": event,
            "text": text[:MAX_TEXT],
            "data": data,
            "telegram_status": (TelegramStatus.PENDING if event in wanted else TelegramStatus.NOT_SENT).value,
            "telegram_attempts": 0,
            "created_at": now,
        }
        for event, text, data in items
    ]
    session.execute(insert(Notification), rows)


def price_change_notifications(session: Session, *, client: str, events: list[Envelope], now: datetime) -> None:
    if not events:
        return
    items = []
    for event in events:
        data = event.data
        text = (
            f"{data['name']} ({data['sku']}): {tenge(data['old_price_cents'])} → {tenge(data['new_price_cents'])} KZT"
            f" ({data['reason']})"
        )
        items.append((PRICE_CHANGED, text, data))
    record_many(session, client=client, items=items, now=now)


def digest_notification(session: Session, *, client: str, round_id: int, more: int, now: datetime) -> None:
    text = f"Monitoring round {round_id} changed {more} more price(s); the price history lists each."
    data = {"round_id": round_id, "more": more}
    record(session, client=client, event=PRICE_CHANGED, text=text, data=data, now=now)


def limited_notification(session: Session, *, client: str, skipped: int, limit: int, now: datetime) -> None:
    text = (
        f"Monitoring skipped {skipped} repriced product(s): the tariff monitors {limit} at most."
        " Upgrade the tariff or turn repricing off for some products."
    )
    data = {"skipped": skipped, "limit": limit}
    record(session, client=client, event=MONITORING_LIMITED, text=text, data=data, now=now)


def tenge(cents: int) -> str:
    whole, tiyn = divmod(cents, 100)
    return f"{whole:,}".replace(",", " ") + (f".{tiyn:02}" if tiyn else "")
