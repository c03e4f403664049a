"""The `push` provider: a batch push-notification API in the manner of Expo's and FCM's.

`POST /sandbox/push/messages` with `Authorization: Bearer <SANDBOX_PUSH_TOKEN>` and
`{"messages": [{user, title, body, data, idempotency_key?}, ...]}` (1 to 500 messages) → 200
`{"data": [{"status": "ok", "id": "<ticket id>"}, ...]}`, one ticket per message, in order, like
Expo's push tickets. A missing or wrong token → 401; more than 500 messages or a malformed one → 422.
A message whose `idempotency_key` was already accepted from the same client (OneSignal's idempotency
keys) is answered with its first ticket and neither listed nor counted again: a sender that retries
after an answer it never got cannot deliver a message twice.
"""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from sandbox.config import Settings
from sandbox.kit.inspection import inspection_router
from sandbox.kit.seen import SeenKeys
from sandbox.kit.standin import StandIn, client_of
from sandbox.provider import Provider

MAX_BATCH = 500


class PushMessage(BaseModel):
    user: str = Field(min_length=1, max_length=255, description="The recipient: the client's user reference")
    title: str = Field(min_length=1, max_length=255)
    body: str = Field("", max_length=4096)
    data: dict[str, Any] = Field(default_factory=dict, description="Free JSON the app receives with it")
    idempotency_key: str | None = Field(None, min_length=1, max_length=255)


class PushBatch(BaseModel):
    messages: list[PushMessage] = Field(min_length=1, max_length=MAX_BATCH)


class Ticket(BaseModel):
    status: str = "ok"
    id: str


class Tickets(BaseModel):
    data: list[Ticket]


def push_provider(settings: Settings) -> Provider:
    stand_in = StandIn(settings.received_limit)
    seen: SeenKeys[str] = SeenKeys(settings.received_limit)
    stand_in.on_reset(seen.clear)
    bearer = HTTPBearer(auto_error=False)

    def authorized(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> None:
        if credentials is None or credentials.credentials != settings.push_token:
            raise HTTPException(401, "A valid bearer token is required.", headers={"WWW-Authenticate": "Bearer"})

    api = stand_in.api_router()

    @api.post(
        "/messages",
        response_model=Tickets,
        dependencies=[Depends(authorized)],
        responses={401: {"description": "Missing or wrong token"}, 429: {"description": "Throttled"}},
    )
    async def send_messages(batch: PushBatch, request: Request) -> Tickets | Response:
        refusal = stand_in.refusal(len(batch.messages))
        if refusal is not None:
            return refusal
        client = client_of(request)
        tickets: list[Ticket] = []
        fresh: list[dict[str, Any]] = []
        for message in batch.messages:
            key = (client, message.idempotency_key) if message.idempotency_key else None
            ticket_id = seen.get(key) if key else None
            if ticket_id is None:
                ticket_id = str(uuid.uuid4())
                fresh.append({"id": ticket_id, **message.model_dump(exclude_none=True)})
                if key:
                    seen.add(key, ticket_id)
            tickets.append(Ticket(id=ticket_id))
        stand_in.recorder.accept(client, fresh)
        return Tickets(data=tickets)

    router = APIRouter()
    router.include_router(api)
    router.include_router(inspection_router(stand_in))
    return Provider(name="push", title="Push notifications (Expo/FCM-like batch API)", router=router)
