"""Notifications: settings, the kept list, and the live stream (Server-Sent Events).

`GET /marketplace/notifications/stream` answers `text/event-stream`: each notification recorded after
the stream opened (or after `Last-Event-ID`, which browsers' EventSource sends when they reconnect)
as `id: <id>`, `event: <type>`, `data: <json>`. The stream reads the database every second, so a
notification recorded by any replica or the worker reaches every open stream; a comment line every
`KEEPALIVE` seconds keeps proxies (the gateway's upstream timeout) from closing a quiet stream. It
ends after `max_seconds` (a client reconnects with Last-Event-ID and misses nothing).
"""

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from marketplace.models import Notification, NotificationSetting
from marketplace.notifications import NOTIFIED_EVENTS
from marketplace.pricing_answers import INVALID, UNSIGNED
from quintet_shared.context import ClientDep
from quintet_shared.deps import NowDep, PageDep, PageSizeDep, SessionDep
from quintet_shared.pagination import DEFAULT_PAGE_SIZE, Page, page_of

router = APIRouter(tags=["marketplace: notifications"])

POLL_SECONDS = 1.0
KEEPALIVE = 10.0
STREAM_BATCH = 100

EventName = Literal["marketplace.price.changed", "marketplace.monitoring.limited", "marketplace.order.placed"]
assert set(EventName.__args__) == set(NOTIFIED_EVENTS)  # type: ignore[attr-defined]


class NotificationSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)  # JSON as typed: `0` is not `false`

    telegram_chat_id: str | None = Field(
        None, pattern=r"^(-?[0-9]{1,20}|@[A-Za-z0-9_]{5,32})$", description="A chat id, or @channelusername"
    )
    events: list[EventName] = Field(default_factory=list, max_length=10, description="Events sent to Telegram")


class NotificationPublic(BaseModel):
    id: int
    event: str
    text: str
    data: dict[str, Any]
    telegram_status: str
    created_at: datetime
    sent_at: datetime | None


@router.get(
    "/marketplace/notifications/settings",
    response_model=NotificationSettings,
    responses={**UNSIGNED},
    summary="Where the client's notifications go (nothing to Telegram until set)",
)
def get_settings(client: ClientDep, session: SessionDep) -> NotificationSettings:
    row = session.get(NotificationSetting, client.client_code)
    if row is None:
        return NotificationSettings()
    return NotificationSettings(telegram_chat_id=row.telegram_chat_id, events=row.events)  # type: ignore[arg-type]


@router.put(
    "/marketplace/notifications/settings",
    response_model=NotificationSettings,
    responses={**UNSIGNED, **INVALID},
    summary="Replace the client's notification settings",
)
def put_settings(
    data: NotificationSettings, client: ClientDep, session: SessionDep, now: NowDep
) -> NotificationSettings:
    row = session.get(NotificationSetting, client.client_code) or NotificationSetting(
        client=client.client_code, updated_at=now
    )
    row.telegram_chat_id = data.telegram_chat_id
    row.events = sorted(set(data.events))
    row.updated_at = now
    session.add(row)
    session.commit()
    return NotificationSettings(telegram_chat_id=row.telegram_chat_id, events=row.events)  # type: ignore[arg-type]


@router.get(
    "/marketplace/notifications",
    response_model=Page[NotificationPublic],
    responses={**UNSIGNED, **INVALID},
    summary="The client's notifications, the latest first",
)
def list_notifications(
    request: Request,
    client: ClientDep,
    session: SessionDep,
    page: PageDep = 1,
    page_size: PageSizeDep = DEFAULT_PAGE_SIZE,
) -> Page[NotificationPublic]:
    where = Notification.client == client.client_code
    count = session.exec(select(func.count()).select_from(Notification).where(where)).one()
    rows = session.exec(
        select(Notification)
        .where(where)
        .order_by(col(Notification.id).desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    return page_of([_public(row) for row in rows], count=count, page=page, page_size=page_size, url=request.url)


@router.get(
    "/marketplace/notifications/stream",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "Notifications as Server-Sent Events"},
        **UNSIGNED,
        **INVALID,
    },
    summary="The client's new notifications, live (Server-Sent Events)",
)
async def stream(
    request: Request,
    client: ClientDep,
    last_event_id: Annotated[str | None, Header(max_length=20)] = None,
    max_seconds: Annotated[float, Query(gt=0, le=3600, description="The stream ends after this")] = 300,
) -> StreamingResponse:
    engine: Engine = request.app.state.runtime.engine
    code = client.client_code
    after = int(last_event_id) if last_event_id and last_event_id.isdigit() else None
    if after is None:
        after = await asyncio.to_thread(_latest_id, engine, code)
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(
        _events(request, engine, code, after, max_seconds), media_type="text/event-stream", headers=headers
    )


async def _events(
    request: Request, engine: Engine, client: str, after: int, max_seconds: float
) -> AsyncIterator[bytes]:
    loop = asyncio.get_running_loop()
    ends_at = loop.time() + max_seconds
    quiet_since = loop.time()
    yield b": connected\n\nretry: 1000\n\n"
    while loop.time() < ends_at and not await request.is_disconnected():
        rows = await asyncio.to_thread(_after, engine, client, after)
        for row in rows:
            after = row.id or after
            payload = json.dumps(_public(row).model_dump(mode="json"), separators=(",", ":"))
            yield f"id: {row.id}\nevent: {row.event}\ndata: {payload}\n\n".encode()
        if rows:
            quiet_since = loop.time()
        elif loop.time() - quiet_since >= KEEPALIVE:
            quiet_since = loop.time()
            yield b": keep-alive\n\n"
        if len(rows) < STREAM_BATCH:
            await asyncio.sleep(POLL_SECONDS)


def _latest_id(engine: Engine, client: str) -> int:
    with Session(engine) as session:
        return session.exec(select(func.max(Notification.id)).where(Notification.client == client)).one() or 0


def _after(engine: Engine, client: str, after: int) -> list[Notification]:
    with Session(engine, expire_on_commit=False) as session:
        statement = (
            select(Notification)
            .where(Notification.client == client, col(Notification.id) > after)
            .order_by(col(Notification.id))
            .limit(STREAM_BATCH)
        )
        return list(session.exec(statement).all())


def _public(row: Notification) -> NotificationPublic:
    return NotificationPublic(
        id=row.id or 0,
        event=row.event,
        text=row.text,
        data=row.data,
        telegram_status=row.telegram_status,
        created_at=row.created_at,
        sent_at=row.sent_at,
    )
