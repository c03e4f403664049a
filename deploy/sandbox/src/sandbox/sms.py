"""The `sms` provider: three SMS gateways, `srv1`, `srv2` and `srv3`, that accept a message and later
call its delivery callback, each with a behaviour of its own.

`POST /sandbox/sms/{gateway}/messages` with `Authorization: Bearer <SANDBOX_SMS_TOKEN>` (one token
for the three, not the billing key) and `{"msisdn": "<8-15 digits>", "msgid", "text", "callback":
"<http(s) URL>"}` → 200 `{"status": "accepted"}`. A missing or wrong token → 401; a malformed body →
422. `SANDBOX_SMS_CALLBACK_DELAY_MS` after accepting, the gateway sends `POST <callback>` with
`{"msgid", "status": "delivered"}` (or `"failed"`), over real HTTP, retried on connection errors,
timeouts and 5xx (`SANDBOX_SMS_CALLBACK_ATTEMPTS`, backoff from 0.2 s), at most
`SANDBOX_SMS_CALLBACK_CONCURRENCY` at once; what came of it is written on the message's item
(`delivery`, `callback_state`, `callback_attempts`, `callback_error`) and never stops the gateway.
A msgid the same client already sent to the same gateway is accepted again, not listed, counted or
called back a second time.

Each gateway has the routes of §12 under `/sandbox/sms/{gateway}/...` and its own behaviour: `down`,
`latency_ms`, `failure_rate` (503: the sender should try another gateway), `rate_limit_per_second`,
and two outcomes of delivery, `undelivered_rate` (the callback says `failed`) and `unreported_rate`
(no callback at all, as for a receipt that never comes), drawn with `seed` like the failures.
`GET /sandbox/sms/received` and `/stats` list and count the three gateways together (with their own
seq numbers; each item names its `gateway`), `DELETE /sandbox/sms/received` resets all three, and
`GET /sandbox/sms/callbacks` counts the callbacks pending, done, failed and dropped.
"""

import asyncio
import logging
from typing import Annotated, Any, Literal

import httpx
from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field, HttpUrl, model_validator
from starlette.exceptions import HTTPException

from sandbox.config import Settings
from sandbox.kit.behaviour import Behaviour
from sandbox.kit.inspection import inspection_router, record_router
from sandbox.kit.recorder import Recorder
from sandbox.kit.seen import SeenKeys
from sandbox.kit.standin import StandIn, client_of
from sandbox.provider import Provider

log = logging.getLogger(__name__)

GATEWAYS = ("srv1", "srv2", "srv3")
MSISDN_PATTERN = r"^[0-9]{8,15}$"
MAX_TEXT = 1600  # ten concatenated messages
BACKOFF_SECONDS = 0.2


class SmsBehaviour(Behaviour):
    failure_rate: float = Field(0.0, ge=0, le=1, description="Share of messages answered 503 (not accepted)")
    undelivered_rate: float = Field(
        0.0, ge=0, le=1, description='Share of accepted messages whose callback says "failed"'
    )
    unreported_rate: float = Field(0.0, ge=0, le=1, description="Share of accepted messages never called back")

    @model_validator(mode="after")
    def _shares_fit(self) -> "SmsBehaviour":
        if self.undelivered_rate + self.unreported_rate > 1:
            raise ValueError("undelivered_rate and unreported_rate add up to more than 1")
        return self


class SmsMessage(BaseModel):
    msisdn: str = Field(pattern=MSISDN_PATTERN, description="The recipient, digits with the country code")
    msgid: str = Field(min_length=1, max_length=255, description="The sender's id of the message")
    text: str = Field(min_length=1, max_length=MAX_TEXT)
    callback: HttpUrl = Field(description="Where the delivery report is posted")


class Accepted(BaseModel):
    status: Literal["accepted"] = "accepted"


class CallbackCounts(BaseModel):
    pending: int
    done: int
    failed: int
    dropped: int


class Callbacks:
    """Delivery callbacks waiting for their time, sent by a fixed number of workers.

    The delay is the same for every message, so the queue is in the order the callbacks fall due:
    a worker takes the oldest, waits until its time, and posts it. At most `received_limit` callbacks
    wait in the queue (and one in each worker); beyond, a callback is dropped and counted, so memory
    stays bounded."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.delay = settings.sms_callback_delay_ms / 1000
        self._queue: asyncio.Queue[tuple[float, dict[str, Any]]] | None = None
        self._workers: list[asyncio.Task[None]] = []
        self._http: httpx.AsyncClient | None = None
        self._busy = 0  # callbacks taken from the queue and not yet done
        self.reset()

    def reset(self) -> None:
        self.done = self.failed = self.dropped = 0

    def counts(self) -> CallbackCounts:
        pending = (self._queue.qsize() if self._queue else 0) + self._busy
        return CallbackCounts(pending=pending, done=self.done, failed=self.failed, dropped=self.dropped)

    async def start(self) -> None:
        timeout = self.settings.sms_callback_timeout_seconds
        limits = httpx.Limits(max_connections=self.settings.sms_callback_concurrency)
        self._http = httpx.AsyncClient(timeout=timeout, limits=limits)
        self._queue = asyncio.Queue(maxsize=self.settings.received_limit)
        self._workers = [asyncio.create_task(self._work()) for _ in range(self.settings.sms_callback_concurrency)]

    async def stop(self) -> None:
        for worker in self._workers:
            worker.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        self._workers = []
        if self._http is not None:
            await self._http.aclose()

    def submit(self, item: dict[str, Any]) -> None:
        """Post the item's delivery report after the delay (the item records how it went)."""
        try:
            if self._queue is None:
                raise asyncio.QueueFull
            self._queue.put_nowait((asyncio.get_running_loop().time() + self.delay, item))
        except asyncio.QueueFull:
            item["callback_state"] = "dropped"
            self.dropped += 1

    async def _work(self) -> None:
        assert self._queue is not None
        loop = asyncio.get_running_loop()
        while True:
            due, item = await self._queue.get()
            self._busy += 1
            try:
                wait = due - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                await self._post(item)
            except Exception as exc:  # a callback never stops the gateway
                log.exception("sms callback of %s failed", item.get("msgid"))
                self._fail(item, f"{type(exc).__name__}: {exc}")
            finally:
                self._busy -= 1
                self._queue.task_done()

    async def _post(self, item: dict[str, Any]) -> None:
        assert self._http is not None
        body = {"msgid": item["msgid"], "status": item["delivery"]}
        attempts = self.settings.sms_callback_attempts
        error = ""
        for attempt in range(1, attempts + 1):
            item["callback_attempts"] = attempt
            try:
                response = await self._http.post(item["callback"], json=body)
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"
            else:
                if response.is_success:
                    item["callback_state"] = "done"
                    self.done += 1
                    return
                error = f"HTTP {response.status_code}"
                if response.status_code < 500 and response.status_code not in (408, 429):
                    break  # the receiver refused it: asking again changes nothing
            if attempt < attempts:
                await asyncio.sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))
        log.warning("sms callback of %s to %s failed: %s", item["msgid"], item["callback"], error)
        self._fail(item, error)

    def _fail(self, item: dict[str, Any], error: str) -> None:
        item["callback_state"] = "failed"
        item["callback_error"] = error[:500]
        self.failed += 1


def sms_provider(settings: Settings) -> Provider:
    everything = Recorder(settings.received_limit)
    callbacks = Callbacks(settings)
    bearer = HTTPBearer(auto_error=False)

    def authorized(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> None:
        if credentials is None or credentials.credentials != settings.sms_token:
            raise HTTPException(401, "A valid bearer token is required.", headers={"WWW-Authenticate": "Bearer"})

    gateways = {name: StandIn(settings.received_limit, SmsBehaviour) for name in GATEWAYS}
    router = APIRouter()
    for name, stand_in in gateways.items():
        seen: SeenKeys[bool] = SeenKeys(settings.received_limit)
        stand_in.on_reset(seen.clear)
        router.include_router(
            _gateway_router(name, stand_in, seen, everything, callbacks, authorized), prefix=f"/{name}"
        )

    def reset_all() -> None:
        everything.reset()
        callbacks.reset()
        for stand_in in gateways.values():
            stand_in.reset()

    router.include_router(record_router(everything, reset_all))

    @router.get("/callbacks", response_model=CallbackCounts, tags=["sandbox inspection"])
    async def callback_counts() -> CallbackCounts:
        """Delivery callbacks of the three gateways: waiting, answered 2xx, given up, dropped."""
        return callbacks.counts()

    return Provider(
        name="sms",
        title="SMS gateways srv1-srv3 (delivery callbacks)",
        router=router,
        on_startup=[callbacks.start],
        on_shutdown=[callbacks.stop],
    )


def _gateway_router(
    name: str,
    stand_in: StandIn,
    seen: SeenKeys[bool],
    everything: Recorder,
    callbacks: Callbacks,
    authorized: Any,
) -> APIRouter:
    api = stand_in.api_router()

    @api.post(
        "/messages",
        response_model=Accepted,
        dependencies=[Depends(authorized)],
        responses={401: {"description": "Missing or wrong token"}, 429: {"description": "Throttled"}},
        summary=f"Send an SMS through {name}",
    )
    async def send_message(message: SmsMessage, request: Request) -> Accepted | Response:
        client = client_of(request)
        key = (client, message.msgid)
        if seen.get(key):
            return Accepted()  # already accepted: no second listing, count or callback
        refusal = stand_in.refusal(1)
        if refusal is not None:
            everything.refuse(1)
            return refusal
        behaviour = stand_in.faults.behaviour
        assert isinstance(behaviour, SmsBehaviour)
        draw = stand_in.faults.draw()
        delivery: str | None = None  # None: never called back
        if draw >= behaviour.unreported_rate:
            delivery = "failed" if draw < behaviour.unreported_rate + behaviour.undelivered_rate else "delivered"
        item: dict[str, Any] = {
            "gateway": name,
            **message.model_dump(mode="json"),
            "delivery": delivery,
            "callback_state": "withheld" if delivery is None else "pending",
            "callback_attempts": 0,
        }
        stand_in.recorder.accept(client, [item])
        everything.accept(client, [item])
        seen.add(key, True)
        if delivery is not None:
            callbacks.submit(item)
        return Accepted()

    router = APIRouter()
    router.include_router(api)
    router.include_router(inspection_router(stand_in))
    return router
