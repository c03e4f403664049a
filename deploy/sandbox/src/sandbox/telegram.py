"""The `telegram` provider: the Telegram Bot API's `sendMessage`, as a bot's messages reach a chat.

`POST /sandbox/telegram/bot<token>/sendMessage` with `{"chat_id": <integer or "@channel">, "text",
"parse_mode"?, "disable_notification"?}` (JSON) → 200 `{"ok": true, "result": {"message_id", "date",
"chat": {"id"}, "text"}}`, as the real API answers. A wrong token → 401 `{"ok": false, "error_code":
401, "description": "Unauthorized"}` (the Bot API's own error shape); a malformed body → 422.
What a chat received is listed at `GET /sandbox/telegram/received` (`chat_id`, `text`, `message_id`).
"""

import itertools
import re
import time
from typing import Literal

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from sandbox.config import Settings
from sandbox.kit.inspection import inspection_router
from sandbox.kit.standin import StandIn, client_of
from sandbox.provider import Provider

MAX_TEXT = 4096  # the Bot API's limit of one message
CHANNEL = r"^@[A-Za-z0-9_]{5,32}$"


class SendMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")  # the Bot API has many optional fields; we keep these

    chat_id: StrictInt | str = Field(description="A chat's id, or @channelusername")
    text: str = Field(min_length=1, max_length=MAX_TEXT)
    parse_mode: Literal["HTML", "Markdown", "MarkdownV2"] | None = None
    disable_notification: bool = False


class Chat(BaseModel):
    id: int | str


class Message(BaseModel):
    message_id: int
    date: int
    chat: Chat
    text: str


class Sent(BaseModel):
    ok: Literal[True] = True
    result: Message


class BotError(BaseModel):
    ok: Literal[False] = False
    error_code: int
    description: str


def telegram_provider(settings: Settings) -> Provider:
    stand_in = StandIn(settings.received_limit)
    message_ids = itertools.count(1)
    api = stand_in.api_router()

    @api.post(
        "/bot{token}/sendMessage",
        response_model=Sent,
        responses={400: {"model": BotError}, 401: {"model": BotError}, 429: {"description": "Throttled"}},
        summary="Send a text message to a chat (Bot API sendMessage)",
    )
    async def send_message(token: str, message: SendMessage, request: Request) -> Sent | Response:
        if token != settings.telegram_bot_token:
            return JSONResponse(BotError(error_code=401, description="Unauthorized").model_dump(), status_code=401)
        if isinstance(message.chat_id, str) and not _is_channel(message.chat_id):
            error = BotError(error_code=400, description="Bad Request: chat not found")
            return JSONResponse(error.model_dump(), status_code=400)
        refusal = stand_in.refusal(1)
        if refusal is not None:
            return refusal
        sent = Message(
            message_id=next(message_ids), date=int(time.time()), chat=Chat(id=message.chat_id), text=message.text
        )
        stand_in.recorder.accept(
            client_of(request),
            [
                {
                    "chat_id": message.chat_id,
                    "text": message.text,
                    "parse_mode": message.parse_mode,
                    "message_id": sent.message_id,
                }
            ],
        )
        return Sent(result=sent)

    router = APIRouter()
    router.include_router(api)
    router.include_router(inspection_router(stand_in))
    return Provider(name="telegram", title="Telegram Bot API (sendMessage)", router=router)


def _is_channel(chat_id: str) -> bool:
    return re.fullmatch(CHANNEL, chat_id) is not None
