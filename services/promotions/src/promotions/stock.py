"""A promo's stock as the tables hold it (the design is in models.py's docstring).

`held` is the count of live holds (status held, not expired), `sold` the purchases; the units left
to take now are `units - sold - held`. `give_back_expired` returns the units of expired holds to
`units_taken`: the holds path calls it when its conditional UPDATE finds no unit, and so does a
PATCH that lowers `units`; nothing else needs to, and no sweeper has to.
"""

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, select, update
from sqlmodel import Session

from promotions.models import Hold, HoldStatus, Notification, NotificationStatus, Promo, Purchase
from promotions.problems import conflict
from promotions.schemas_promos import PromoStats


def live_hold(now: datetime) -> ColumnElement[bool]:
    """A hold that still holds its unit: served by the (promo_id, status, expires_at) index."""
    return and_(Hold.status == HoldStatus.HELD, Hold.expires_at > now)


def held_counts(session: Session, promo_ids: Iterable[int], *, now: datetime) -> dict[int, int]:
    ids = list(promo_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(Hold.promo_id, func.count()).where(Hold.promo_id.in_(ids), live_hold(now)).group_by(Hold.promo_id)
    ).all()
    return {promo_id: count for promo_id, count in rows}


def units_left(promo: Promo, held: int) -> int:
    return max(0, promo.units - promo.units_sold - held)


def give_back_expired(session: Session, *, promo_id: int, now: datetime) -> int:
    """Mark the promo's expired holds `expired` and return their units; how many came back. Each
    hold is flipped by exactly one transaction (its status is re-checked under the row lock)."""
    flipped = session.execute(
        update(Hold)
        .where(Hold.promo_id == promo_id, Hold.status == HoldStatus.HELD, Hold.expires_at <= now)
        .values(status=HoldStatus.EXPIRED, ended_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if flipped:
        session.execute(
            update(Promo)
            .where(Promo.id == promo_id)
            .values(units_taken=Promo.units_taken - flipped)
            .execution_options(synchronize_session=False)
        )
    return flipped


def set_units(session: Session, *, promo: Promo, units: int, now: datetime) -> None:
    """Change a promo's units, never below what holds and purchases have taken (409
    `units_below_taken`); expired holds are given back first. One conditional UPDATE, so a hold
    taken concurrently cannot slip under the new figure."""
    for attempt in range(2):
        changed = session.execute(
            update(Promo)
            .where(Promo.id == promo.id, Promo.units_taken <= units)
            .values(units=units)
            .execution_options(synchronize_session=False)
        ).rowcount
        if changed:
            break
        if attempt == 0:
            # Tried again even when nothing came back here: a concurrent hold may just have given
            # the expired units back itself, and then the counter is already lower.
            give_back_expired(session, promo_id=promo.id, now=now)
    session.refresh(promo)
    if promo.units != units:
        raise conflict(
            f"units cannot drop to {units}: {promo.units_taken} are sold or held by live holds.", "units_below_taken"
        )


def promo_stats(session: Session, *, promo: Promo, now: datetime) -> PromoStats:
    held = session.execute(select(func.count()).where(Hold.promo_id == promo.id, live_hold(now))).scalar_one()
    sold = session.execute(select(func.count()).where(Purchase.promo_id == promo.id)).scalar_one()
    notified = session.execute(
        select(func.count()).where(Notification.promo_id == promo.id, Notification.status == NotificationStatus.SENT)
    ).scalar_one()
    return PromoStats(units=promo.units, held=held, sold=sold, notified=notified)
