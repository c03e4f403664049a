"""What a monitoring round covers: the client's repriced products up to its tariff's limit.

Products are taken in id order (the oldest first, a stable choice the seller can predict); those
beyond the limit of the client's current tariff are skipped and counted, and so are repriced
products with no marketplace product id (nothing to look up). A client with no tariff is not
limited. The city whose offers count is the client's first store's; the client's own stores'
merchant ids are never competitors.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from marketplace.models import MonitoringRound, Product, RepricingSetting, Store, Tariff, TariffPurchase
from marketplace.models.pricing import DEFAULT_COOLDOWN_SECONDS, DEFAULT_MAX_CHANGES_PER_DAY


@dataclass(frozen=True)
class Target:
    product_id: int
    marketplace_product_id: str


@dataclass(frozen=True)
class RepricingRules:
    ignored_merchant_ids: frozenset[str] = frozenset()
    cooldown: timedelta = timedelta(seconds=DEFAULT_COOLDOWN_SECONDS)
    max_changes_per_day: int = DEFAULT_MAX_CHANGES_PER_DAY
    dry_run: bool = False


@dataclass
class RoundPlan:
    client: str
    round_id: int
    started_at: datetime
    city_id: str | None
    own_merchant_ids: frozenset[str]
    rules: RepricingRules
    limit: int | None
    targets: list[Target] = field(default_factory=list)
    skipped_over_limit: int = 0
    skipped_unlinked: int = 0
    # Price changes notified one by one so far; past NOTIFY_EACH_UP_TO the round sends one digest.
    notified_changes: int = 0
    unnotified_changes: int = 0


def current_tariff(session: Session, *, client: str, now: datetime) -> Tariff | None:
    """The tariff of the client's latest purchase whose period covers now; None: not limited."""
    statement = (
        select(Tariff)
        .join(TariffPurchase, col(TariffPurchase.tariff_id) == col(Tariff.id))
        .where(TariffPurchase.client == client, TariffPurchase.starts_at <= now, TariffPurchase.ends_at > now)
        .order_by(col(TariffPurchase.starts_at).desc(), col(TariffPurchase.id).desc())
        .limit(1)
    )
    return session.exec(statement).first()


def repricing_rules(session: Session, *, client: str) -> RepricingRules:
    setting = session.get(RepricingSetting, client)
    if setting is None:
        return RepricingRules()
    return RepricingRules(
        ignored_merchant_ids=frozenset(setting.ignored_merchant_ids),
        cooldown=timedelta(seconds=setting.cooldown_seconds),
        max_changes_per_day=setting.max_changes_per_day,
        dry_run=setting.dry_run,
    )


def plan_round(session: Session, *, client: str, now: datetime) -> RoundPlan:
    """Start a round (its row is added to the session) and say what it covers."""
    stores = session.exec(select(Store).where(Store.client == client).order_by(col(Store.id))).all()
    tariff = current_tariff(session, client=client, now=now)
    round_row = MonitoringRound(client=client, started_at=now)
    session.add(round_row)
    session.flush()
    assert round_row.id is not None
    plan = RoundPlan(
        client=client,
        round_id=round_row.id,
        started_at=now,
        city_id=stores[0].city_id if stores else None,
        own_merchant_ids=frozenset(store.merchant_id for store in stores),
        rules=repricing_rules(session, client=client),
        limit=tariff.monitored_product_limit if tariff else None,
    )
    repriced = select(Product.id, Product.marketplace_product_id).where(
        Product.client == client, col(Product.repricing).is_(True)
    )
    linked = repriced.where(col(Product.marketplace_product_id).is_not(None)).order_by(col(Product.id))
    if plan.limit is not None:
        linked = linked.limit(plan.limit)
    plan.targets = [Target(product_id, mp_id) for product_id, mp_id in session.exec(linked) if mp_id]
    total = session.exec(select(func.count()).select_from(repriced.subquery())).one()
    unlinked = session.exec(
        select(func.count()).select_from(repriced.where(col(Product.marketplace_product_id).is_(None)).subquery())
    ).one()
    plan.skipped_unlinked = unlinked
    plan.skipped_over_limit = max(0, total - unlinked - len(plan.targets))
    return plan
