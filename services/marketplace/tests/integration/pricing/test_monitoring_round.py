"""A monitoring round against the sandbox's marketplace over HTTP: the tariff's limit, dry run, the
guards, paging, failures and retries, the seller's exceptions (SQLite and PostgreSQL)."""

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from marketplace.config import Settings
from marketplace.models import (
    MonitoringRound,
    Notification,
    ObservedOffer,
    OfferFetch,
    PriceChange,
    Product,
    RepricingSetting,
)
from marketplace.monitoring import RoundSummary, run_round
from marketplace.monitoring_apply import NOTIFY_EACH_UP_TO
from quintet_shared.clock import FakeClock, system_clock
from quintet_shared.db import session_scope
from quintet_shared.tables import outbox_message

from .conftest import SELLER, Market, add_product, add_store, add_tariff


def run(engine: Any, settings: Settings, clock: Any = system_clock) -> RoundSummary:
    return asyncio.run(run_round(engine, settings, client=SELLER, clock=clock))


def price_of(engine: Any, product: Product) -> int:
    with Session(engine) as session:
        return session.get(Product, product.id).price_cents  # type: ignore[union-attr]


def events(engine: Any) -> list[dict[str, Any]]:
    with Session(engine) as session:
        return [json.loads(body)["data"] for (body,) in session.execute(select(outbox_message.c.body)).all()]


def test_products_beyond_the_tariffs_limit_are_skipped_and_the_seller_is_told(
    engine: Any, settings: Settings, market: Market
) -> None:
    add_store(engine)
    add_tariff(engine, limit=2)
    products = [add_product(engine, f"SKU-{n}", marketplace_product_id=f"P{n}") for n in range(3)]
    for n in range(3):
        market.set_offers(f"P{n}", ("RIVAL", 990))
    summary = run(engine, settings)
    assert (summary.monitored, summary.limit, summary.skipped_over_limit, summary.counts.changed) == (2, 2, 1, 2)
    assert "skipped 1 products over the tariff's limit of 2" in summary.lines()
    assert [price_of(engine, p) for p in products] == [98_000, 98_000, 100_000]  # the oldest two
    with Session(engine) as session:
        fetched = session.exec(select(OfferFetch.product_id)).all()
        notices = session.exec(select(Notification).where(Notification.event == "marketplace.monitoring.limited")).all()
        round_row = session.exec(select(MonitoringRound)).one()
    assert sorted(fetched) == [products[0].id, products[1].id]
    assert [n.data for n in notices] == [{"skipped": 1, "limit": 2}]
    assert round_row.finished_at is not None and round_row.summary["skipped_over_limit"] == 1


def test_a_client_without_a_tariff_is_not_limited(engine: Any, settings: Settings, market: Market) -> None:
    add_store(engine)
    for n in range(3):
        add_product(engine, f"SKU-{n}", marketplace_product_id=f"P{n}")
    summary = run(engine, settings)
    assert (summary.monitored, summary.limit, summary.skipped_over_limit) == (3, None, 0)


def test_dry_run_records_proposals_and_changes_nothing(engine: Any, settings: Settings, market: Market) -> None:
    add_store(engine)
    product = add_product(engine, "SKU-1", marketplace_product_id="P1")
    with session_scope(engine) as session:
        session.add(RepricingSetting(client=SELLER, dry_run=True, updated_at=datetime.now(UTC)))
    market.set_offers("P1", ("RIVAL", 950))
    summary = run(engine, settings)
    assert (summary.counts.proposed, summary.counts.changed, summary.dry_run) == (1, 0, True)
    assert price_of(engine, product) == 100_000
    with Session(engine) as session:
        (proposal,) = session.exec(select(PriceChange)).all()
    assert (proposal.applied, proposal.new_price_cents, proposal.rule) == (False, 94_000, "undercut")
    assert events(engine) == []


def test_the_cooldown_blocks_a_second_change_and_the_daily_cap_counts_changes(
    engine: Any, settings: Settings, market: Market
) -> None:
    add_store(engine)
    product = add_product(engine, "SKU-1", marketplace_product_id="P1")
    clock = FakeClock(datetime.now(UTC))
    market.set_offers("P1", ("RIVAL", 950))
    assert run(engine, settings, clock).counts.changed == 1
    market.set_offers("P1", ("RIVAL", 900))
    second = run(engine, settings, clock)
    assert (second.counts.blocked, price_of(engine, product)) == (1, 94_000)
    with session_scope(engine) as session:
        session.add(RepricingSetting(client=SELLER, cooldown_seconds=0, max_changes_per_day=2, updated_at=clock()))
    assert run(engine, settings, clock).counts.changed == 1  # the second change of the day
    market.set_offers("P1", ("RIVAL", 850))
    assert run(engine, settings, clock).counts.blocked == 1  # a third would pass the cap
    assert price_of(engine, product) == 89_000


def test_every_page_of_offers_is_read_and_stored(engine: Any, settings: Settings, market: Market) -> None:
    add_store(engine)
    product = add_product(engine, "SKU-1", marketplace_product_id="P1", low=10_000)
    market.set_offers("P1", *[(f"M{n:03}", 2000 + n) for n in range(120)])
    settings = settings.model_copy(update={"offers_page_size": 50})
    summary = run(engine, settings)
    assert summary.counts.fetched == 1
    with Session(engine) as session:
        fetch = session.exec(select(OfferFetch)).one()
        count = session.exec(select(func.count()).select_from(ObservedOffer)).one()
        cheapest = session.exec(select(ObservedOffer).order_by(col(ObservedOffer.position)).limit(1)).one()
    assert (fetch.total, count, fetch.error) == (120, 120, None)
    assert (cheapest.merchant_id, cheapest.price_cents) == ("M000", 200_000)
    assert price_of(engine, product) == 120_000  # cheapest already: up to one step below, capped at max
    assert [item["page"] for item in market.received()] == [0, 1, 2]


def test_failing_answers_are_retried(engine: Any, settings: Settings, market: Market) -> None:
    add_store(engine)
    for n in range(20):
        add_product(engine, f"SKU-{n}", marketplace_product_id=f"P{n}")
    market.behave(failure_rate=0.3, seed=11)
    summary = run(engine, settings.model_copy(update={"offers_attempts": 8}))
    assert (summary.counts.fetched, summary.counts.failed) == (20, 0)
    assert market.call("GET", "/stats").json()["failed"] > 0


def test_a_product_whose_offers_cannot_be_read_keeps_its_price_and_the_error_is_kept(
    engine: Any, settings: Settings, market: Market
) -> None:
    add_store(engine)
    product = add_product(engine, "SKU-1", marketplace_product_id="P1")
    market.behave(failure_rate=1)
    summary = run(engine, settings.model_copy(update={"offers_attempts": 2}))
    assert (summary.counts.failed, summary.counts.changed) == (1, 0)
    assert price_of(engine, product) == 100_000
    with Session(engine) as session:
        fetch = session.exec(select(OfferFetch)).one()
    assert fetch.error == "HTTP 503"


def test_ignored_merchants_and_own_stores_are_not_competitors(engine: Any, settings: Settings, market: Market) -> None:
    add_store(engine)
    add_store(engine, merchant_id="M-SECOND")
    product = add_product(engine, "SKU-1", marketplace_product_id="P1")
    with session_scope(engine) as session:
        session.add(RepricingSetting(client=SELLER, ignored_merchant_ids=["FRIEND"], updated_at=datetime.now(UTC)))
    market.set_offers("P1", ("FRIEND", 500), ("M-SECOND", 600), ("RIVAL", 1100))
    assert run(engine, settings).counts.changed == 1
    assert price_of(engine, product) == 109_000  # cheapest among competitors: one step below RIVAL


def test_products_without_a_marketplace_id_and_clients_without_a_store(
    engine: Any, settings: Settings, market: Market
) -> None:
    add_product(engine, "SKU-1", marketplace_product_id="P1")
    add_product(engine, "SKU-2")
    add_product(engine, "SKU-3", marketplace_product_id="P3", repricing=False)
    summary = run(engine, settings)
    assert (summary.monitored, summary.skipped_unlinked, summary.city_id) == (0, 1, None)
    assert any("no store" in line for line in summary.lines())
    assert market.received() == []
    add_store(engine)
    assert run(engine, settings).monitored == 1


def test_a_round_that_changes_many_prices_notifies_a_few_then_one_digest(
    engine: Any, settings: Settings, market: Market
) -> None:
    add_store(engine)
    for n in range(NOTIFY_EACH_UP_TO + 5):
        add_product(engine, f"SKU-{n}", marketplace_product_id=f"P{n}")
        market.set_offers(f"P{n}", ("RIVAL", 990))
    summary = run(engine, settings)
    assert summary.counts.changed == NOTIFY_EACH_UP_TO + 5
    with Session(engine) as session:
        notices = session.exec(select(Notification).order_by(col(Notification.id))).all()
    assert len(notices) == NOTIFY_EACH_UP_TO + 1
    assert notices[-1].data == {"round_id": summary.round_id, "more": 5}
    assert len([e for e in events(engine) if "sku" in e]) == NOTIFY_EACH_UP_TO + 5  # every change is published
