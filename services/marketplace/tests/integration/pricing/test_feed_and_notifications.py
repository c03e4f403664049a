"""The price feed (public XML, its checks, staleness, fetch log) and the notification routes (settings,
list, stream), called as the gateway would (SQLite and PostgreSQL)."""

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from marketplace.component import DEFINITION
from marketplace.config import Settings
from marketplace.feed import FeedInvalid, check
from marketplace.models import FeedFetch, Notification, Product, Stock
from marketplace.notifications import record
from quintet_shared.bus.memory import InMemoryBus
from quintet_shared.component import create_service_app
from quintet_shared.db import session_scope
from quintet_shared.runtime import Runtime
from quintet_shared.testing.gateway import signed_headers

from .conftest import SELLER, add_product, add_store

NS = "{kaspiShopping}"


class Api:
    def __init__(self, http: TestClient, secret: str) -> None:
        self.http, self.secret = http, secret

    def call(self, method: str, target: str, *, client: str = SELLER, **kwargs: Any) -> httpx.Response:
        headers = {
            **signed_headers(self.secret, method=method, target=target, client=client),
            **kwargs.pop("headers", {}),
        }
        return self.http.request(method, target, headers=headers, **kwargs)


@pytest.fixture
def api(engine: Any, database_url: str) -> Iterator[Api]:
    settings = Settings(database_url=database_url)
    app = create_service_app(DEFINITION, settings, Runtime(engine=engine, bus=InMemoryBus()))
    with TestClient(app, raise_server_exceptions=False) as http:
        yield Api(http, settings.gateway_secret)


def feed(api: Api, token: str) -> httpx.Response:
    return api.call("GET", f"/marketplace/public/feeds/{token}.xml", client="-", headers={"User-Agent": "Kaspi/1"})


def test_the_feed_is_kaspis_price_list_with_availability_per_sales_point(engine: Any, api: Api) -> None:
    store = add_store(engine)
    add_product(engine, "A&B <1>", marketplace_product_id="P1", price=123_450)
    add_product(engine, "OUT", price=50_000, stock=0, low=50_000)
    response = feed(api, store.feed_token)
    assert response.status_code == 200 and response.headers["content-type"] == "application/xml"
    root = ET.fromstring(response.content)
    assert root.tag == f"{NS}kaspi_catalog"
    assert (root.findtext(f"{NS}company"), root.findtext(f"{NS}merchantid")) == ("Seller Almaty", "M-SELLER")
    offers = root.findall(f"{NS}offers/{NS}offer")
    assert [(o.get("sku"), o.findtext(f"{NS}price")) for o in offers] == [("A&B <1>", "1234"), ("OUT", "500")]
    availability = [[a.get("available") for a in o.iter(f"{NS}availability")] for o in offers]
    assert availability == [["yes"], ["no"]]


def test_a_change_makes_the_feed_stale_and_each_fetch_is_logged(engine: Any, api: Api) -> None:
    store = add_store(engine)
    product = add_product(engine, "SKU-1", price=100_000)
    first = feed(api, store.feed_token).text
    assert "<price>1000</price>" in first and feed(api, store.feed_token).text == first  # kept, not rebuilt
    with session_scope(engine) as session:
        row = session.get(Product, product.id)
        assert row is not None
        row.price_cents, row.updated_at = 99_000, datetime.now(UTC) + timedelta(seconds=1)
    assert "<price>990</price>" in feed(api, store.feed_token).text
    with session_scope(engine) as session:
        stock = session.exec(select(Stock)).one()
        stock.units, stock.updated_at = 0, datetime.now(UTC) + timedelta(seconds=2)
    assert 'available="no"' in feed(api, store.feed_token).text
    status = api.call("GET", f"/marketplace/stores/{store.id}/feed").json()
    assert len(status["fetches"]) == 4 and status["offers"] == 1
    assert all(f["user_agent"] == "Kaspi/1" and f["delay_seconds"] >= 0 for f in status["fetches"])
    with Session(engine) as session:
        assert len(session.exec(select(FeedFetch)).all()) == 4


def test_an_unknown_or_malformed_token_is_404_or_422_and_clients_cannot_use_the_public_path(
    engine: Any, api: Api
) -> None:
    store = add_store(engine)
    assert feed(api, "x" * 32).status_code == 404
    assert feed(api, "short").status_code == 422
    assert api.call("GET", f"/marketplace/public/feeds/{store.feed_token}.xml").status_code == 401  # a client's call
    assert api.call("GET", f"/marketplace/stores/{store.id}/feed", client="rival").status_code == 404


def test_a_feed_that_fails_its_check_is_refused() -> None:
    with pytest.raises(FeedInvalid):
        check(b"<kaspi_catalog", 0)
    body = (
        b'<kaspi_catalog xmlns="kaspiShopping"><offers>'
        b'<offer sku="A"><price>1.5</price></offer></offers></kaspi_catalog>'
    )
    with pytest.raises(FeedInvalid):
        check(body, 1)
    with pytest.raises(FeedInvalid):
        check(body.replace(b"1.5", b"2"), 2)
    check(body.replace(b"1.5", b"2"), 1)


def test_notification_settings_are_validated_and_replaced(api: Api) -> None:
    assert api.call("GET", "/marketplace/notifications/settings").json() == {"telegram_chat_id": None, "events": []}
    good = {"telegram_chat_id": "-1001234", "events": ["marketplace.price.changed"]}
    assert api.call("PUT", "/marketplace/notifications/settings", json=good).json() == good
    for bad in ({"telegram_chat_id": "not a chat"}, {"events": ["marketplace.nothing"]}, {"extra": 1}):
        response = api.call("PUT", "/marketplace/notifications/settings", json=bad)
        assert response.status_code == 422 and response.headers["content-type"] == "application/problem+json"
    assert api.call("GET", "/marketplace/notifications/settings", client="rival").json()["events"] == []


def test_notifications_are_listed_latest_first_and_streamed(engine: Any, api: Api) -> None:
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        for n in range(3):
            record(
                session, client=SELLER, event="marketplace.price.changed", text=f"change {n}", data={"n": n}, now=now
            )
        record(session, client="rival", event="marketplace.price.changed", text="theirs", data={}, now=now)
    listed = api.call("GET", "/marketplace/notifications?page_size=2").json()
    assert listed["count"] == 3 and [item["text"] for item in listed["results"]] == ["change 2", "change 1"]
    with Session(engine) as session:
        first = session.exec(select(Notification).where(Notification.client == SELLER)).first()
    assert first is not None
    stream = api.call(
        "GET",
        "/marketplace/notifications/stream?max_seconds=0.5",
        headers={"Last-Event-ID": str(first.id)},
    )
    assert stream.status_code == 200
    events = [json.loads(line[6:]) for line in stream.text.splitlines() if line.startswith("data: ")]
    assert [event["text"] for event in events] == ["change 1", "change 2"]  # after Last-Event-ID, not the rival's
    assert api.call("GET", "/marketplace/notifications/stream?max_seconds=0").status_code == 422


def test_repricing_settings_are_validated_and_replaced(api: Api) -> None:
    defaults = api.call("GET", "/marketplace/repricing/settings").json()
    assert defaults == {
        "ignored_merchant_ids": [],
        "cooldown_seconds": 900,
        "max_changes_per_day": 48,
        "dry_run": False,
    }
    body = {"ignored_merchant_ids": ["B", "A", "A"], "cooldown_seconds": 60, "max_changes_per_day": 5, "dry_run": True}
    assert api.call("PUT", "/marketplace/repricing/settings", json=body).json()["ignored_merchant_ids"] == ["A", "B"]
    for bad in ({"cooldown_seconds": -1}, {"ignored_merchant_ids": [""]}, {"dry_run": "maybe"}):
        assert api.call("PUT", "/marketplace/repricing/settings", json=bad).status_code == 422


def test_a_round_is_queued_once_as_a_job(api: Api) -> None:
    first = api.call("POST", "/marketplace/monitoring/rounds")
    assert first.status_code == 202 and first.json()["status"] == "PENDING"
    again = api.call("POST", "/marketplace/monitoring/rounds")
    assert again.status_code == 409 and again.json()["code"] == "round_running"
    job = api.call("GET", first.json()["status_url"]).json()
    assert (job["kind"], job["status"]) == ("monitoring_round", "PENDING")
    assert api.call("GET", "/marketplace/monitoring/rounds").json()["count"] == 0
