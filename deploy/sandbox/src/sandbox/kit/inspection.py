"""The routes every provider serves beside its own API (ARCHITECTURE.md §12): what it received, its
counters, its behaviour, and a reset. They are never down, slow or throttled themselves.

`record_router` alone serves a record without a behaviour of its own (the sms provider's listing of
all its gateways together)."""

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from sandbox.kit.behaviour import Behaviour
from sandbox.kit.recorder import Recorder
from sandbox.kit.standin import StandIn

MAX_PAGE = 1000


class ReceivedPage(BaseModel):
    items: list[dict[str, Any]]
    last_seq: int


class Stats(BaseModel):
    received: int
    accepted: int
    failed: int


def record_router(recorder: Recorder, reset: Callable[[], None]) -> APIRouter:
    """`GET /received`, `DELETE /received` (which runs `reset`) and `GET /stats` of one record."""
    router = APIRouter(tags=["sandbox inspection"])

    @router.get("/received", response_model=ReceivedPage)
    async def received(
        after: int = Query(0, ge=0, le=2**63 - 1, description="Items with a seq above this"),
        limit: int = Query(100, ge=1, le=MAX_PAGE),
    ) -> ReceivedPage:
        """What the provider accepted, oldest first; pass `last_seq` as `after` to read on."""
        items, last_seq = recorder.page(after, limit)
        return ReceivedPage(items=items, last_seq=last_seq)

    @router.delete("/received", status_code=204)
    async def forget() -> Response:
        """Forget what was received, zero the counters, and restore a healthy behaviour."""
        reset()
        return Response(status_code=204)

    @router.get("/stats", response_model=Stats)
    async def stats() -> Stats:
        return Stats(**recorder.stats())

    return router


def inspection_router(stand_in: StandIn) -> APIRouter:
    router = record_router(stand_in.recorder, stand_in.reset)
    # The provider's own behaviour model (a subclass of Behaviour with its fields), read when the
    # routes are declared so that FastAPI validates a PUT against it.
    model: type[Behaviour] = stand_in.faults.model

    @router.get("/behaviour", response_model=model)
    async def current_behaviour() -> Behaviour:
        return stand_in.faults.behaviour

    @router.put("/behaviour", response_model=model)
    async def set_behaviour(behaviour: model) -> Behaviour:  # type: ignore[valid-type]
        """Replace the behaviour (fields left out take their defaults)."""
        stand_in.faults.set(behaviour)
        return behaviour

    return router
