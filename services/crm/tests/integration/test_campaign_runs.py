"""Campaign runs through the API, the job runner and the sandbox's SMTP sink, on SQLite and
PostgreSQL: the original's three run tests, the ledger's rules, pause and resume, unsubscribing."""

import json
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select

from crm.unsubscribe_tokens import unsubscribe_token
from quintet_shared.tables import outbox_message

from .conftest import Api, Jobs
from .smtp_sink import Sink, session_sink, sink

__all__ = ["session_sink", "sink"]  # fixtures

DEV_SECRET = "dev-unsubscribe-secret-change-me"


def iso(moment: Any) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def visited(api: Api, customer: dict[str, Any], days_ago: float, spend_cents: int = 1000) -> None:
    body = {"spend_cents": spend_cents, "visited_at": iso(api.clock.now - timedelta(days=days_ago))}
    api.created(f"/crm/customers/{customer['id']}/add_visit", body)


def campaign(api: Api, restaurant: dict[str, Any], **fields: Any) -> dict[str, Any]:
    body = {
        "restaurant": restaurant["id"],
        "name": "We miss you",
        "segment_type": "inactive",
        "segment_value": 30,
        "message_template": "Hi {first_name} {last_name}, come back to {restaurant}: {{10%}} off!",
        **fields,
    }
    return api.created("/crm/campaigns", body)


def run(api: Api, campaign_id: int, action: str = "run") -> dict[str, Any]:
    response = api.post(f"/crm/campaigns/{campaign_id}/{action}")
    assert response.status_code == 202, response.text
    return response.json()


def query(target: str, **params: Any) -> str:
    """The target with its query string (the gateway signs both)."""
    return f"{target}?{urlencode(params)}" if params else target


def events(api: Api, campaign_id: int, **params: Any) -> list[dict[str, Any]]:
    return api.ok(query(f"/crm/campaigns/{campaign_id}/events", page_size=500, **params))["results"]


# The original's tests of runs


async def test_run_answers_202_and_the_campaign_is_running(api: Api, restaurant: dict[str, Any]) -> None:
    created = campaign(api, restaurant)
    accepted = run(api, created["id"])
    assert accepted["status"] == "PENDING" and accepted["status_url"] == f"/crm/jobs/{accepted['job_id']}"
    assert accepted["campaign"]["status"] == "running"
    assert api.ok(f"/crm/campaigns/{created['id']}")["status"] == "running"
    assert api.ok(accepted["status_url"])["kind"] == "crm.campaign.run"


async def test_a_run_creates_an_event_only_for_the_inactive_customer_and_completes(
    api: Api, restaurant: dict[str, Any], new_customer: Any, jobs: Jobs, sink: Sink
) -> None:
    inactive = new_customer("old@example.com", first_name="Olga", last_name="Ruiz")
    active = new_customer("new@example.com")
    visited(api, inactive, days_ago=35)
    visited(api, active, days_ago=5)
    created = campaign(api, restaurant)
    run(api, created["id"])
    await jobs.run_all()

    listed = events(api, created["id"])
    assert [(event["customer"], event["status"], event["attempts"]) for event in listed] == [
        (inactive["id"], "sent", 1)
    ]
    done = api.ok(f"/crm/campaigns/{created['id']}")
    assert done["status"] == "completed" and done["summary"] == {"sent": 1, "failed": 0, "skipped": 0}
    assert done["completed_at"] is not None
    [mail] = sink.received()
    assert mail["to"] == ["old@example.com"] and mail["subject"] == "We miss you"
    assert mail["body"] == "Hi Olga Ruiz, come back to La Bodega: {10%} off!\n"
    assert mail["headers"]["From"] == "La Bodega <news@crm.quintet.localhost>"
    token = unsubscribe_token(DEV_SECRET, client="bistro", customer_id=inactive["id"])
    assert mail["headers"]["List-Unsubscribe"] == f"<https://quintet.example/crm/public/unsubscribe/{token}>"
    assert mail["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    with api.engine.connect() as conn:
        bodies = conn.execute(
            select(outbox_message.c.body).where(outbox_message.c.type == "crm.campaign.completed")
        ).scalars()
        [published] = [json.loads(body) for body in bodies]
    data = published["data"]
    assert (data["campaign_id"], data["restaurant_id"], data["sent"], data["failed"], data["skipped"]) == (
        created["id"],
        restaurant["id"],
        1,
        0,
        0,
    )
    assert published["client"] == "bistro" and published["source"] == "crm"


async def test_a_second_run_creates_no_duplicate(
    api: Api, restaurant: dict[str, Any], new_customer: Any, jobs: Jobs, sink: Sink
) -> None:
    for n in range(3):
        new_customer(f"c{n}@example.com")
    created = campaign(api, restaurant)
    run(api, created["id"])
    await jobs.run_all()
    new_customer("late@example.com")  # joins the segment after the first run
    run(api, created["id"])
    await jobs.run_all()
    listed = events(api, created["id"])
    assert len(listed) == 4 and {event["status"] for event in listed} == {"sent"}
    assert sorted(mail["to"][0] for mail in sink.received()) == sorted(
        ["c0@example.com", "c1@example.com", "c2@example.com", "late@example.com"]
    )
    assert sink.stats()["received"] == 4
    assert api.ok(f"/crm/campaigns/{created['id']}")["summary"] == {"sent": 4, "failed": 0, "skipped": 0}


# Two runs at once, pause and resume


async def test_two_runs_queued_at_once_send_each_message_once(
    api: Api, restaurant: dict[str, Any], new_customer: Any, jobs: Jobs, sink: Sink
) -> None:
    for n in range(30):
        new_customer(f"c{n}@example.com")
    created = campaign(api, restaurant)
    run(api, created["id"])
    run(api, created["id"])
    await jobs.run_all()
    assert len(events(api, created["id"])) == 30
    assert sink.stats() == {"received": 30, "accepted": 30, "failed": 0}
    assert api.ok(f"/crm/campaigns/{created['id']}")["status"] == "completed"


async def test_paused_before_its_job_runs_nothing_is_sent_until_resume(
    api: Api, restaurant: dict[str, Any], new_customer: Any, jobs: Jobs, sink: Sink
) -> None:
    for n in range(5):
        new_customer(f"c{n}@example.com")
    created = campaign(api, restaurant)
    run(api, created["id"])
    paused = api.post(f"/crm/campaigns/{created['id']}/pause")
    assert paused.status_code == 200 and paused.json()["status"] == "paused"
    await jobs.run_all()
    assert sink.stats()["received"] == 0
    assert api.ok(f"/crm/campaigns/{created['id']}")["status"] == "paused"
    assert api.post(f"/crm/campaigns/{created['id']}/run").json()["code"] == "campaign_paused"
    resumed = run(api, created["id"], "resume")
    assert resumed["campaign"]["status"] == "running"
    await jobs.run_all()
    assert sink.stats()["accepted"] == 5
    assert api.ok(f"/crm/campaigns/{created['id']}")["status"] == "completed"


async def test_pause_and_resume_refuse_the_wrong_state(api: Api, restaurant: dict[str, Any]) -> None:
    created = campaign(api, restaurant)
    for action, code in (("pause", "campaign_not_running"), ("resume", "campaign_not_paused")):
        response = api.post(f"/crm/campaigns/{created['id']}/{action}")
        assert response.status_code == 409 and response.json()["code"] == code
    run(api, created["id"])
    assert api.post(f"/crm/campaigns/{created['id']}/pause").status_code == 200
    assert api.post(f"/crm/campaigns/{created['id']}/pause").json()["status"] == "paused"  # twice: still paused


async def test_sends_failing_for_good_end_failed_and_the_campaign_still_completes(
    api: Api, restaurant: dict[str, Any], new_customer: Any, jobs: Jobs, sink: Sink, monkeypatch: Any
) -> None:
    monkeypatch.setenv("CRM_CAMPAIGN_ATTEMPTS", "2")
    monkeypatch.setenv("CRM_SMTP_ATTEMPTS", "1")
    for n in range(3):
        new_customer(f"c{n}@example.com")
    sink.behave(failure_rate=1.0)
    created = campaign(api, restaurant)
    run(api, created["id"])
    await jobs.run_all()
    listed = events(api, created["id"])
    assert [(event["status"], event["attempts"]) for event in listed] == [("failed", 2)] * 3
    assert all(event["last_error"].startswith("451") for event in listed)
    done = api.ok(f"/crm/campaigns/{created['id']}")
    assert done["status"] == "completed" and done["summary"] == {"sent": 0, "failed": 3, "skipped": 0}
    assert sink.stats() == {"received": 6, "accepted": 0, "failed": 6}


# Unsubscribing


def public(api: Api, method: str, token: str) -> Any:
    return api.call(method, f"/crm/public/unsubscribe/{token}", client="-")


async def test_an_unsubscribed_customer_is_skipped_by_every_later_campaign(
    api: Api, restaurant: dict[str, Any], new_customer: Any, jobs: Jobs, sink: Sink
) -> None:
    leaving = new_customer("leaving@example.com")
    new_customer("staying@example.com")
    first = campaign(api, restaurant)
    run(api, first["id"])
    await jobs.run_all()
    link = next(m for m in sink.received() if m["to"] == ["leaving@example.com"])["headers"]["List-Unsubscribe"]
    token = link.strip("<>").rsplit("/", 1)[1]

    page = public(api, "GET", token)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "leaving@example.com" in page.text and 'method="post"' in page.text
    assert api.ok(f"/crm/customers/{leaving['id']}")["email"] == "leaving@example.com"  # GET changed nothing
    one_click = public(api, "POST", token)
    assert one_click.status_code == 200 and "no more emails" in one_click.text
    assert public(api, "POST", token).status_code == 200  # twice is fine

    sink.reset()
    second = campaign(api, restaurant, name="Come back")
    run(api, second["id"])
    await jobs.run_all()
    assert [mail["to"] for mail in sink.received()] == [["staying@example.com"]]
    statuses = {event["customer"]: event["status"] for event in events(api, second["id"])}
    assert statuses[leaving["id"]] == "skipped"
    assert api.ok(f"/crm/campaigns/{second['id']}")["summary"] == {"sent": 1, "failed": 0, "skipped": 1}


async def test_a_forged_or_malformed_unsubscribe_token_is_404(api: Api, new_customer: Any) -> None:
    customer = new_customer("a@example.com")
    forged = unsubscribe_token("another-secret-of-16+", client="bistro", customer_id=customer["id"])
    other_client = unsubscribe_token(DEV_SECRET, client="other", customer_id=customer["id"])
    for token in (forged, other_client, "12", "x" * 300, f"{customer['id']}-", "99999999999-" + "a" * 22):
        for method in ("GET", "POST"):
            response = public(api, method, token)
            assert response.status_code == 404, (token, response.text)
    assert api.call("POST", f"/crm/public/unsubscribe/{forged}", client="bistro").status_code == 401


# Listing events


async def test_outreach_events_filter_by_campaign_customer_and_status_and_stay_per_client(
    api: Api, restaurant: dict[str, Any], new_customer: Any, jobs: Jobs, sink: Sink
) -> None:
    customers = [new_customer(f"c{n}@example.com") for n in range(3)]
    first, second = campaign(api, restaurant), campaign(api, restaurant, name="Again")
    run(api, first["id"])
    await jobs.run_all()
    run(api, second["id"])
    await jobs.run_all()
    everything = api.ok("/crm/outreach-events")
    assert everything["count"] == 6
    by_campaign = api.ok(query("/crm/outreach-events", **{"campaign_id": second["id"]}))
    assert {event["campaign"] for event in by_campaign["results"]} == {second["id"]}
    by_customer = api.ok(query("/crm/outreach-events", **{"customer_id": customers[1]["id"], "status": "sent"}))
    assert by_customer["count"] == 2
    paged = api.ok(query(f"/crm/campaigns/{first['id']}/events", **{"page_size": 2}))
    assert paged["count"] == 3 and len(paged["results"]) == 2 and paged["next"] is not None
    assert api.ok("/crm/outreach-events", client="other")["count"] == 0
    assert api.get(f"/crm/campaigns/{first['id']}/events", client="other").status_code == 404
    for params in ({"campaign_id": "x"}, {"campaign_id": 0}, {"status": "lost"}, {"page_size": 501}):
        response = api.get(query("/crm/outreach-events", **params))
        assert response.status_code == 422, (params, response.text)
    assert api.post(f"/crm/campaigns/{first['id'] + 1000}/run").status_code == 404
