"""Tariffs and what sellers bought. A purchase starts now, or when the client's latest purchase ends
(buying again extends), and lasts the tariff's period; its price is copied. A client's current tariff
is that of the purchase whose period covers now; a client with none is not limited. A retired
(inactive) tariff cannot be bought (422), but its purchases run to their end.
"""

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlmodel import Session

from marketplace.models import Tariff, TariffPurchase
from marketplace.schemas_tariffs import CurrentTariff, PurchasePublic, TariffPublic
from quintet_shared.rows import MAX_ID, invalid


def public(tariff: Tariff) -> TariffPublic:
    return TariffPublic.model_validate(tariff, from_attributes=True)


def active_tariffs(session: Session) -> Sequence[Tariff]:
    query = select(Tariff).where(Tariff.active.is_(True)).order_by(Tariff.position, Tariff.id)  # type: ignore[attr-defined,arg-type]
    return session.execute(query).scalars().all()


def current_purchase(session: Session, *, client: str, now: datetime) -> TariffPurchase | None:
    query = (
        select(TariffPurchase)
        .where(TariffPurchase.client == client, TariffPurchase.starts_at <= now, TariffPurchase.ends_at > now)  # type: ignore[arg-type]
        .order_by(TariffPurchase.starts_at.desc(), TariffPurchase.id.desc())  # type: ignore[attr-defined,union-attr]
        .limit(1)
    )
    return session.execute(query).scalar_one_or_none()


def current_tariff(session: Session, *, client: str, now: datetime) -> Tariff | None:
    """The client's tariff now (its limits apply), or None: not limited."""
    purchase = current_purchase(session, client=client, now=now)
    return session.get(Tariff, purchase.tariff_id) if purchase else None


def current(session: Session, *, client: str, now: datetime) -> CurrentTariff:
    purchase = current_purchase(session, client=client, now=now)
    if purchase is None:
        return CurrentTariff(tariff=None, purchase=None, limited=False)
    tariff = session.get(Tariff, purchase.tariff_id)
    assert tariff is not None
    return CurrentTariff(tariff=public(tariff), purchase=purchase_public(purchase, tariff), limited=True)


def buy(session: Session, *, client: str, tariff_id: int, now: datetime) -> TariffPurchase:
    tariff = session.get(Tariff, tariff_id) if 1 <= tariff_id <= MAX_ID else None
    if tariff is None or not tariff.active:
        raise invalid("tariff_id", f"is not a tariff on sale (no tariff {tariff_id})")
    latest_end = session.execute(
        select(func.max(TariffPurchase.ends_at)).where(TariffPurchase.client == client)  # type: ignore[arg-type]
    ).scalar_one()
    starts = max(now, latest_end) if latest_end is not None else now
    purchase = TariffPurchase(
        client=client,
        tariff_id=tariff_id,
        price_cents=tariff.price_cents,
        currency=tariff.currency,
        starts_at=starts,
        ends_at=starts + timedelta(days=tariff.period_days),
        created_at=now,
    )
    session.add(purchase)
    session.flush()
    return purchase


def purchases(session: Session, *, client: str, offset: int, limit: int) -> tuple[list[PurchasePublic], int]:
    query = (
        select(TariffPurchase, Tariff)
        .join(Tariff, Tariff.id == TariffPurchase.tariff_id)  # type: ignore[arg-type]
        .where(TariffPurchase.client == client)  # type: ignore[arg-type]
        .order_by(TariffPurchase.id.desc())  # type: ignore[union-attr]
        .offset(offset)
        .limit(limit)
    )
    rows = [purchase_public(purchase, tariff) for purchase, tariff in session.execute(query)]
    count = session.execute(select(func.count()).where(TariffPurchase.client == client)).scalar_one()  # type: ignore[arg-type]
    return rows, count


def purchase_public(purchase: TariffPurchase, tariff: Tariff) -> PurchasePublic:
    return PurchasePublic.model_validate({**purchase.model_dump(), "tariff_name": tariff.name})
