"""The price feed: the public XML the marketplace polls, and the seller's view of its fetches."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel
from sqlmodel import Session, col, select

from marketplace.feed import current_version
from marketplace.models import FeedFetch, FeedVersion, Store
from marketplace.pricing_answers import INVALID, UNSIGNED, unknown
from quintet_shared.context import ClientDep
from quintet_shared.deps import NowDep, SessionDep
from quintet_shared.errors import NotFound, documented_problem
from quintet_shared.public import PublicCallerDep, public_router

public = public_router("marketplace")
router = APIRouter(tags=["marketplace: price feed"])

FeedToken = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{16,64}$", description="The store's secret feed token")]
RECENT_FETCHES = 20


class FetchPublic(BaseModel):
    fetched_at: datetime
    built_at: datetime
    delay_seconds: float  # from the version's build to this fetch: how long a change took to go live
    user_agent: str


class FeedStatus(BaseModel):
    store_id: int
    built_at: datetime | None
    offers: int
    fetches: list[FetchPublic]


@public.get(
    "/feeds/{token}.xml",
    response_class=Response,
    responses={
        200: {"content": {"application/xml": {}}, "description": "The store's price list (Kaspi's XML shape)"},
        404: documented_problem("No store has this feed token"),
        **INVALID,
    },
    summary="A store's XML price list, as the marketplace polls it",
)
def feed(token: FeedToken, request: Request, caller: PublicCallerDep, session: SessionDep, now: NowDep) -> Response:
    store = session.exec(select(Store).where(Store.feed_token == token)).first()
    if store is None:
        raise NotFound("No store has this feed token.")
    version = current_version(session, store, now=now)
    session.add(
        FeedFetch(
            client=store.client,
            store_id=store.id or 0,
            fetched_at=now,
            built_at=version.built_at,
            remote=(request.client.host if request.client else "")[:64],
            user_agent=request.headers.get("user-agent", "")[:255],
        )
    )
    session.commit()
    return Response(version.body, media_type="application/xml")


@router.get(
    "/marketplace/stores/{store_id:int}/feed",
    response_model=FeedStatus,
    responses={**UNSIGNED, **INVALID, **unknown("store")},
    summary="The store's price feed: its current version and the marketplace's latest fetches",
)
def feed_status(store_id: int, client: ClientDep, session: SessionDep) -> FeedStatus:
    store = _store(session, client=client.client_code, store_id=store_id)
    version = session.get(FeedVersion, store.id)
    fetches = session.exec(
        select(FeedFetch).where(FeedFetch.store_id == store.id).order_by(col(FeedFetch.id).desc()).limit(RECENT_FETCHES)
    ).all()
    return FeedStatus(
        store_id=store_id,
        built_at=version.built_at if version else None,
        offers=version.offers if version else 0,
        fetches=[
            FetchPublic(
                fetched_at=f.fetched_at,
                built_at=f.built_at,
                delay_seconds=round((f.fetched_at - f.built_at).total_seconds(), 3),
                user_agent=f.user_agent,
            )
            for f in fetches
        ],
    )


def _store(session: Session, *, client: str, store_id: int) -> Store:
    store = session.get(Store, store_id)
    if store is None or store.client != client:
        raise NotFound("The calling client has no store with this id.")
    return store
