"""The dashboard's pages and live counts, over the ledger's tables on SQLite and PostgreSQL, called as the
gateway would (the browser path through the real gateway is tested in test_dashboard_browser.py)."""

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from crm.component import DEFINITION
from crm.models import Campaign, Customer, OutreachEvent, Restaurant
from quintet_shared.bus.memory import InMemoryBus
from quintet_shared.component import create_service_app
from quintet_shared.db import make_engine
from quintet_shared.migrations import upgrade
from quintet_shared.runtime import Runtime
from quintet_shared.testing.gateway import signed_headers
from quintet_shared.testing.thread_server import serving

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
SECRET = DEFINITION.settings().gateway_secret


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    upgrade(DEFINITION.migrations, database_url)
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def app(engine: Engine) -> Any:
    return create_service_app(DEFINITION, DEFINITION.settings(), Runtime(engine=engine, bus=InMemoryBus()))


@pytest.fixture
def http(app: Any) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def get(http: TestClient, target: str, client: str = "bistro") -> httpx.Response:
    return http.get(target, headers=signed_headers(SECRET, method="GET", target=target, client=client))


def add_campaign(engine: Engine, *, client: str, name: str, customers: int, statuses: dict[str, int]) -> int:
    """A restaurant, its customers and a campaign whose ledger holds `statuses` events ({status: n})."""
    stamps = {"created_at": NOW, "updated_at": NOW}
    domain = f"{name.lower()}.test"
    with Session(engine) as session:
        restaurant = Restaurant(client=client, name=f"{name} place", timezone="Europe/Madrid", **stamps)
        session.add(restaurant)
        session.flush()
        people = [
            Customer(client=client, restaurant=restaurant.id, email=f"p{n}@{domain}", first_name=f"P{n}", **stamps)
            for n in range(customers)
        ]
        session.add_all(people)
        campaign = Campaign(
            client=client,
            restaurant=restaurant.id,
            name=name,
            segment_type="inactive",
            segment_value=30,
            message_template="Hi {first_name}",
            status="running",
            **stamps,
        )
        session.add(campaign)
        session.flush()
        owners = iter(people)
        for status, number in statuses.items():
            for _ in range(number):
                person = next(owners)
                session.add(
                    OutreachEvent(client=client, campaign=campaign.id, customer=person.id, status=status, **stamps)
                )
        session.commit()
        assert campaign.id is not None
        return campaign.id


def test_the_list_shows_the_clients_campaigns_with_their_counts_escaped(http, engine):
    mine = add_campaign(engine, client="bistro", name="<b>Spring</b>", customers=6, statuses={"sent": 3, "queued": 2})
    theirs = add_campaign(engine, client="other", name="Theirs", customers=1, statuses={"sent": 1})
    response = get(http, "/crm/dashboard")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page = response.text
    assert "&lt;b&gt;Spring&lt;/b&gt;" in page and "<b>Spring</b>" not in page
    assert f"<tr data-campaign='{mine}'>" in page
    assert f"data-campaign='{theirs}'" not in page and "Theirs" not in page
    assert "<td class='n' data-count='sent'>3</td>" in page
    assert "<td class='n' data-count='queued'>2</td>" in page
    assert "<td class='n' data-count='total'>5</td>" in page
    # A running campaign may be paused, not run or resumed.
    assert f"data-action='pause' data-campaign='{mine}'>" in page
    assert f"data-action='run' data-campaign='{mine}' disabled>" in page


def test_a_campaigns_events_come_fifty_to_a_page(http, engine):
    campaign = add_campaign(engine, client="bistro", name="Big", customers=120, statuses={"sent": 100, "failed": 20})
    first = get(http, f"/crm/dashboard/campaigns/{campaign}").text
    assert first.count("<tr><td>") == 50
    assert "Page 1 of 3" in first and f"href='/crm/dashboard/campaigns/{campaign}?page=2'" in first
    last = get(http, f"/crm/dashboard/campaigns/{campaign}?page=3").text
    assert last.count("<tr><td>") == 20 and "failed" in last and "rel='next'" not in last
    assert "p119@big.test" in last


def test_another_clients_campaign_and_bad_input_are_problems(http, engine):
    theirs = add_campaign(engine, client="other", name="Theirs", customers=1, statuses={})
    assert get(http, f"/crm/dashboard/campaigns/{theirs}").status_code == 404
    assert get(http, "/crm/dashboard?page=0").status_code == 422
    assert get(http, "/crm/dashboard/live").status_code == 422
    assert get(http, "/crm/dashboard/live?campaign_id=x").status_code == 422
    assert get(http, "/crm/dashboard/live?campaign_id=0").status_code == 422
    assert http.get("/crm/dashboard").status_code == 401  # not through the gateway


def test_the_script_is_served_for_the_pages(http):
    response = get(http, "/crm/dashboard/app.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert "X-CSRF-Token" in response.text and "EventSource" in response.text


def test_live_counts_follow_the_ledger_and_stay_with_the_client(app, engine):
    mine = add_campaign(engine, client="bistro", name="Live", customers=4, statuses={"queued": 4})
    theirs = add_campaign(engine, client="other", name="Theirs", customers=1, statuses={"queued": 1})
    target = f"/crm/dashboard/live?campaign_id={mine}&campaign_id={theirs}"
    seen: list[dict[str, Any]] = []
    moved = threading.Event()
    with serving(app) as server:
        headers = signed_headers(SECRET, method="GET", target=target, client="bistro")
        with httpx.stream("GET", server.url + target, headers=headers, timeout=10) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            for line in response.iter_lines():
                if not line.startswith("data: "):
                    continue
                seen.append(json.loads(line[len("data: ") :]))
                if len(seen) == 1:
                    _send_two(engine, mine)
                elif seen[-1]["campaigns"][0]["sent"] == 2:
                    moved.set()
                    break
    assert moved.is_set()
    first, last = seen[0]["campaigns"], seen[-1]["campaigns"]
    assert [campaign["id"] for campaign in first] == [mine]  # the other client's id is left out
    assert first[0] | {"summary": None} == {
        "id": mine,
        "status": "running",
        "queued": 4,
        "sent": 0,
        "failed": 0,
        "skipped": 0,
        "total": 4,
        "summary": None,
    }
    assert (last[0]["queued"], last[0]["sent"]) == (2, 2)


def _send_two(engine: Engine, campaign_id: int) -> None:
    with Session(engine) as session:
        first_two = select(OutreachEvent.id).where(OutreachEvent.campaign == campaign_id).order_by(OutreachEvent.id)
        ids = list(session.scalars(first_two.limit(2)))
        session.execute(update(OutreachEvent).where(OutreachEvent.id.in_(ids)).values(status="sent", sent_at=NOW))
        session.commit()
