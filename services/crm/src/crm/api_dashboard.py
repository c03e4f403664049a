"""The operators' dashboard at `/crm/dashboard`: server-rendered pages, live counts, run/pause/resume.

Reached through the gateway like any route, so a browser signed in at the gateway's `/login` sees
its own client's campaigns only; the buttons call the campaigns API with the session's CSRF token.
These are browser pages and an endless event stream, so they stay out of the OpenAPI document.
"""

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from pydantic import Field
from sqlalchemy.engine import Engine
from sqlmodel import Session

from crm import dashboard_html, dashboard_queries
from crm.dashboard_script import SCRIPT
from quintet_shared.context import ClientDep
from quintet_shared.deps import PageDep, SessionDep, get_engine
from quintet_shared.errors import NotFound

PAGE_SIZE = 50  # campaigns, and a campaign's events, per page
MAX_ID = 2**31 - 1
MAX_LIVE_CAMPAIGNS = 200
POLL_SECONDS = 0.5  # how often a live stream reads the counts: the delay an operator may see
KEEP_ALIVE_SECONDS = 15.0  # a comment when nothing changed: well inside the gateway's silence timeout
STREAM_SECONDS = 600.0  # then the stream ends and the browser's EventSource opens a fresh one
_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

CampaignId = Annotated[int, Field(ge=1, le=MAX_ID)]
LiveCampaigns = Annotated[list[CampaignId], Query(min_length=1, max_length=MAX_LIVE_CAMPAIGNS)]

router = APIRouter(tags=["crm: dashboard"], include_in_schema=False)


def _pages(count: int) -> int:
    return max(1, -(-count // PAGE_SIZE))


@router.get("/crm/dashboard", response_class=HTMLResponse)
def dashboard(client: ClientDep, session: SessionDep, page: PageDep = 1) -> HTMLResponse:
    code = client.client_code
    count = dashboard_queries.count_campaigns(session, client=code)
    rows = dashboard_queries.campaign_rows(session, client=code, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    return HTMLResponse(dashboard_html.campaign_list(rows, page=page, pages=_pages(count)), headers=_HEADERS)


@router.get("/crm/dashboard/campaigns/{campaign_id:int}", response_class=HTMLResponse)
def campaign_page(
    campaign_id: Annotated[int, Path(ge=1, le=MAX_ID)], client: ClientDep, session: SessionDep, page: PageDep = 1
) -> HTMLResponse:
    code = client.client_code
    found = dashboard_queries.find_campaign(session, client=code, campaign_id=campaign_id)
    if found is None:
        raise NotFound(f"No campaign {campaign_id}.")
    campaign, restaurant_name = found
    live = dashboard_queries.counts_of(session, client=code, campaigns=[campaign])[campaign_id]
    events = dashboard_queries.event_rows(
        session, client=code, campaign_id=campaign_id, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE
    )
    html = dashboard_html.campaign_detail(campaign, restaurant_name, live, events, page=page, pages=_pages(live.total))
    return HTMLResponse(html, headers=_HEADERS)


@router.get("/crm/dashboard/app.js")
def script(_client: ClientDep) -> Response:
    return Response(SCRIPT, media_type="text/javascript", headers={"Cache-Control": "no-cache"})


@router.get("/crm/dashboard/live")
async def live(
    request: Request,
    client: ClientDep,
    campaign_id: Annotated[
        list[Annotated[int, Query(ge=1, le=MAX_ID)]], Query(min_length=1, max_length=MAX_LIVE_CAMPAIGNS)
    ],
) -> StreamingResponse:
    """Server-sent events: `counts` `{campaigns: [{id, status, queued, sent, failed, skipped, total,
    summary}]}` at once and whenever they change; a comment when nothing has for a while."""
    engine = get_engine(request)
    ids = sorted(set(campaign_id))
    stream = _counts_stream(engine, client.client_code, ids)
    return StreamingResponse(stream, media_type="text/event-stream", headers={"Cache-Control": "no-store"})


async def _counts_stream(engine: Engine, client: str, ids: list[int]) -> AsyncIterator[bytes]:
    def read() -> bytes:
        with Session(engine) as session:
            found = dashboard_queries.live_counts(session, client=client, campaign_ids=ids)
        return json.dumps({"campaigns": [counts.as_json() for counts in found]}, separators=(",", ":")).encode()

    yield b"retry: 2000\n\n"
    last = b""
    spoke_at = started = time.monotonic()
    # A caller that leaves cancels this generator (StreamingResponse watches for the disconnect).
    while time.monotonic() - started < STREAM_SECONDS:
        current = await asyncio.to_thread(read)
        now = time.monotonic()
        if current != last:
            last, spoke_at = current, now
            yield b"event: counts\ndata: " + current + b"\n\n"
        elif now - spoke_at >= KEEP_ALIVE_SECONDS:
            spoke_at = now
            yield b": keep-alive\n\n"
        await asyncio.sleep(POLL_SECONDS)
