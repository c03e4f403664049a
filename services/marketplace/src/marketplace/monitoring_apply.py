"""One batch of a monitoring round, in one transaction: what was observed, what the rules decided.

For each product of the batch: the fetch and its offers are stored (a failed fetch with its error,
and nothing decided); the repricing rules run on the product as it is now (its row locked, so an
edit through the API in the meantime is never overwritten with a price computed from old bounds);
a change updates the price, records its reason in `price_change`, writes `marketplace.price.changed`
to the outbox and a notification (the first NOTIFY_EACH_UP_TO of a round; the round's end tells of
the others in one digest); a dry-run proposal is recorded with `applied` false and nothing
else. The guards count the product's applied repricing changes.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, insert, update
from sqlmodel import Session, col, select

from marketplace.models import ObservedOffer, OfferFetch, PriceChange, PriceChangeSource, Product
from marketplace.monitoring_plan import RoundPlan, Target
from marketplace.notifications import price_change_notifications
from marketplace.offers_client import OffersError, ProductOffers
from marketplace.price_events import PRICE_CHANGED, Competitor, PriceChanged
from marketplace.repricing import DAY, Decision, Guards, Outcome, PriceBounds, decide
from quintet_shared.envelope import Envelope
from quintet_shared.outbox import add_events

Fetched = tuple[Target, ProductOffers | OffersError]
# A seller wants to hear of a few changes one by one, not of a whole catalogue's (nor can a Telegram
# bot send that many: about 30 messages a second); beyond this a round sends one digest at its end.
NOTIFY_EACH_UP_TO = 20


@dataclass
class Counts:
    fetched: int = 0
    failed: int = 0
    changed: int = 0
    proposed: int = 0
    blocked: int = 0
    unchanged: int = 0
    vanished: int = 0  # deleted or no longer repriced since the round began

    def add(self, other: "Counts") -> None:
        for name in (f.name for f in fields(self)):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def apply_batch(session: Session, plan: RoundPlan, batch: Sequence[Fetched], *, now: datetime) -> Counts:
    counts = Counts()
    ids = [target.product_id for target, _ in batch]
    # Plain rows, not ORM objects: a round writes hundreds of thousands of them (bench/marketplace.py).
    products = {
        row.id: row
        for row in session.execute(
            select(*PRODUCT_COLUMNS).where(Product.client == plan.client, col(Product.id).in_(ids)).with_for_update()
        )
    }
    _store_observations(session, plan, batch, now=now)
    history = _recent_changes(session, ids, since=now - max(DAY, plan.rules.cooldown))
    changes: list[dict[str, Any]] = []
    events: list[Envelope] = []
    for target, fetched in batch:
        if isinstance(fetched, OffersError):
            counts.failed += 1
            continue
        counts.fetched += 1
        product = products.get(target.product_id)
        if product is None or not product.repricing:
            counts.vanished += 1
            continue
        decision = _decide(plan, product, fetched, history.get(target.product_id, []), now)
        setattr(counts, decision.outcome.value, getattr(counts, decision.outcome.value) + 1)
        if decision.outcome in (Outcome.CHANGED, Outcome.PROPOSED):
            changes.append(_history_row(plan, product, decision, now))
        if decision.outcome is Outcome.CHANGED:
            events.append(_event(plan, product, decision, now))
    if changes:
        session.execute(insert(PriceChange), changes)
    if events:
        session.execute(
            # The Core table: an executemany of one UPDATE, without the ORM's bulk-update rules.
            update(PRODUCT_TABLE)
            .where(PRODUCT_TABLE.c.id == bindparam("product"))
            .values(price_cents=bindparam("price"), updated_at=now),
            [{"product": e.data["product_id"], "price": e.data["new_price_cents"]} for e in events],
        )
        add_events(session, events)
        each = events[: max(0, NOTIFY_EACH_UP_TO - plan.notified_changes)]
        price_change_notifications(session, client=plan.client, events=each, now=now)
        plan.notified_changes += len(each)
        plan.unnotified_changes += len(events) - len(each)
    return counts


PRODUCT_COLUMNS = (
    Product.id,
    Product.sku,
    Product.name,
    Product.marketplace_product_id,
    Product.price_cents,
    Product.min_price_cents,
    Product.max_price_cents,
    Product.step_cents,
    Product.repricing,
)
ProductRow = Any  # a row of PRODUCT_COLUMNS
PRODUCT_TABLE: Table = Product.__table__  # type: ignore[assignment]


def _decide(
    plan: RoundPlan, product: ProductRow, fetched: ProductOffers, recent: list[datetime], now: datetime
) -> Decision:
    bounds = PriceBounds(
        price_cents=product.price_cents,
        min_price_cents=product.min_price_cents,
        max_price_cents=product.max_price_cents,
        step_cents=product.step_cents,
    )
    guards = Guards(
        cooldown=plan.rules.cooldown, max_changes_per_day=plan.rules.max_changes_per_day, recent_changes=recent
    )
    return decide(
        bounds,
        fetched.offers,
        own_merchant_ids=plan.own_merchant_ids,
        ignored_merchant_ids=plan.rules.ignored_merchant_ids,
        guards=guards,
        now=now,
        dry_run=plan.rules.dry_run,
    )


def _store_observations(session: Session, plan: RoundPlan, batch: Sequence[Fetched], *, now: datetime) -> None:
    fetch_rows = [
        {
            "client": plan.client,
            "product_id": target.product_id,
            "fetched_at": now,
            "total": fetched.total if isinstance(fetched, ProductOffers) else 0,
            "error": str(fetched)[:500] if isinstance(fetched, OffersError) else None,
        }
        for target, fetched in batch
    ]
    # One executemany that returns the new ids in the order of the rows (both databases).
    statement = insert(OfferFetch).returning(col(OfferFetch.id), sort_by_parameter_order=True)
    fetch_ids = session.execute(statement, fetch_rows).scalars().all()
    offer_rows = [
        {
            "fetch_id": fetch_id,
            "merchant_id": offer.merchant_id,
            "merchant_name": offer.merchant_name[:200],
            "price_cents": offer.price_cents,
            "position": position,
        }
        for fetch_id, (_, fetched) in zip(fetch_ids, batch, strict=True)
        if isinstance(fetched, ProductOffers)
        for position, offer in enumerate(fetched.offers)
    ]
    if offer_rows:
        session.execute(insert(ObservedOffer), offer_rows)


def _recent_changes(session: Session, ids: list[int], *, since: datetime) -> dict[int, list[datetime]]:
    statement = select(PriceChange.product_id, PriceChange.changed_at).where(
        col(PriceChange.product_id).in_(ids),
        PriceChange.source == PriceChangeSource.REPRICING,
        col(PriceChange.applied).is_(True),
        PriceChange.changed_at >= since,
    )
    recent: dict[int, list[datetime]] = defaultdict(list)
    for product_id, changed_at in session.exec(statement):
        recent[product_id].append(changed_at)
    return recent


def _history_row(plan: RoundPlan, product: ProductRow, decision: Decision, now: datetime) -> dict[str, Any]:
    competitor = decision.competitor
    return dict(
        client=plan.client,
        product_id=product.id,
        source=PriceChangeSource.REPRICING.value,
        old_price_cents=decision.old_price_cents,
        new_price_cents=decision.new_price_cents,
        rule=decision.rule.value,
        competitor_merchant_id=competitor.merchant_id if competitor else None,
        competitor_price_cents=competitor.price_cents if competitor else None,
        clamp=decision.clamp.value if decision.clamp else None,
        at_floor=decision.at_floor,
        applied=decision.outcome is Outcome.CHANGED,
        detail={
            "reason": decision.reason,
            "competitor_name": competitor.merchant_name if competitor else None,
            "round_id": plan.round_id,
            "ignored": [offer.merchant_id for offer in decision.ignored],
        },
        changed_at=now,
    )


def _event(plan: RoundPlan, product: ProductRow, decision: Decision, now: datetime) -> Envelope:
    competitor = decision.competitor
    data = PriceChanged(
        product_id=product.id or 0,
        sku=product.sku,
        name=product.name,
        marketplace_product_id=product.marketplace_product_id,
        old_price_cents=decision.old_price_cents,
        new_price_cents=decision.new_price_cents,
        rule=decision.rule.value,
        reason=decision.reason,
        competitor=Competitor(
            merchant_id=competitor.merchant_id,
            merchant_name=competitor.merchant_name,
            price_cents=competitor.price_cents,
        )
        if competitor
        else None,
        clamp=decision.clamp.value if decision.clamp else None,
        at_floor=decision.at_floor,
        changed_at=now,
    )
    return Envelope.new(type=PRICE_CHANGED, source="marketplace", client=plan.client, data=data, time=now)
