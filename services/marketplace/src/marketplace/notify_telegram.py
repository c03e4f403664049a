"""Sending pending notifications to Telegram through the Bot API's `sendMessage`.

`POST {telegram_url}/bot{token}/sendMessage` `{"chat_id", "text"}` → `{"ok": true, ...}`. Each pending
notification is sent to its client's chat as the settings say now; one that fails (connection
error, 5xx, 429, `ok: false`) stays pending for the next send, and is marked failed after
`telegram_attempts` tries. Rows are read and written in short transactions, never held across the
HTTP call; two senders at once may both send a row (at least once), which only the worker's single
schedule and the round's own send make possible.
"""

import logging
from dataclasses import dataclass

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from marketplace.config import Settings
from marketplace.models import Notification, NotificationSetting, TelegramStatus
from quintet_shared.clock import Clock
from quintet_shared.db import session_scope

log = logging.getLogger(__name__)

BATCH = 200


@dataclass
class SendCounts:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def chat_id_value(chat_id: str) -> int | str:
    """The Bot API takes a numeric chat id as a number and a channel as `@name`."""
    return int(chat_id) if chat_id.lstrip("-").isdigit() else chat_id


async def send_pending(engine: Engine, settings: Settings, *, client: str | None, clock: Clock) -> SendCounts:
    counts = SendCounts()
    with session_scope(engine) as session:
        statement = select(Notification).where(Notification.telegram_status == TelegramStatus.PENDING)
        if client is not None:
            statement = statement.where(Notification.client == client)
        pending = session.exec(statement.order_by(col(Notification.id)).limit(BATCH)).all()
        chats = {
            setting.client: setting.telegram_chat_id
            for setting in session.exec(
                select(NotificationSetting).where(col(NotificationSetting.client).in_({n.client for n in pending}))
            )
        }
    url = f"{settings.telegram_url.rstrip('/')}/bot{settings.telegram_bot_token}/sendMessage"
    outcomes: dict[int, str | None] = {}
    async with httpx.AsyncClient(timeout=10.0) as http:
        for notification in pending:
            chat = chats.get(notification.client)
            if not chat:
                outcomes[notification.id or 0] = "no chat id any more"
                continue
            outcomes[notification.id or 0] = await _send(http, url, chat, notification)
    with session_scope(engine) as session:
        for notification in pending:
            row = session.get(Notification, notification.id)
            if row is None or row.telegram_status != TelegramStatus.PENDING:
                continue
            error = outcomes.get(row.id or 0)
            row.telegram_attempts += 1
            if error is None:
                row.telegram_status, row.sent_at = TelegramStatus.SENT, clock()
                counts.sent += 1
            elif row.telegram_attempts >= settings.telegram_attempts:
                row.telegram_status = TelegramStatus.FAILED
                counts.failed += 1
                log.warning("telegram notification %s failed: %s", row.id, error)
            else:
                counts.retrying += 1
    return counts


async def _send(http: httpx.AsyncClient, url: str, chat: str, notification: Notification) -> str | None:
    """None when Telegram took the message; else why not."""
    body = {"chat_id": chat_id_value(chat), "text": notification.text}
    try:
        response = await http.post(url, json=body, headers={"X-Client-Code": notification.client})
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"
    if response.status_code != 200:
        return f"HTTP {response.status_code}"
    try:
        ok = response.json().get("ok") is True
    except ValueError:
        ok = False
    return None if ok else "the Bot API did not answer ok"


def pending_clients(engine: Engine) -> list[str]:
    with session_scope(engine) as session:
        statement = select(Notification.client).where(Notification.telegram_status == TelegramStatus.PENDING)
        return sorted(set(session.exec(statement.distinct())))
