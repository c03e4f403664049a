"""Completing a hold: the purchase, in one transaction with its event (models.py's docstring, "Complete").

The hold is flipped to `completed` by one conditional UPDATE (its user's, still `held`, not expired),
so a double tap, a release or an expiry racing it cannot both win; then the promo's `units_sold`
grows by one (its unit stays taken), the purchase is written at the promo's price in the product's
currency, and `promotions.purchase.completed` goes to the outbox in the same transaction. A live
hold is honoured even if the promo ended or was deactivated meanwhile: its unit was the user's.
"""

from datetime import datetime

from sqlalchemy import select, update
from sqlmodel import Session

from promotions.events import PURCHASE_COMPLETED, PurchaseCompleted
from promotions.holds import find_hold
from promotions.models import Hold, HoldStatus, Product, Profile, Promo, Purchase, Store
from promotions.problems import conflict
from promotions.schemas import MAX_ID
from promotions.schemas_holds import PurchasePublic
from quintet_shared.envelope import Envelope
from quintet_shared.errors import NotFound, Problem
from quintet_shared.outbox import add_event
from quintet_shared.write_lock import begin_write


def complete_hold(
    session: Session, *, client: str, id: int, user: str, now: datetime, request_id: str | None = None
) -> PurchasePublic:
    """201 purchase; 404 unknown, another client's or another user's hold; 410 `expired`; 409
    `already_completed` or `released`."""
    begin_write(session)
    if not 1 <= id <= MAX_ID:
        raise NotFound(f"Hold {id} was not found.")
    completed = session.execute(
        update(Hold)
        .where(
            Hold.id == id,
            Hold.client == client,
            Hold.user == user,
            Hold.status == HoldStatus.HELD,
            Hold.expires_at > now,
        )
        .values(status=HoldStatus.COMPLETED.value, ended_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not completed:
        raise _why_not(session, client=client, id=id, user=user)
    promo_id = session.execute(select(Hold.promo_id).where(Hold.id == id)).scalar_one()
    session.execute(
        update(Promo)
        .where(Promo.id == promo_id)
        .values(units_sold=Promo.units_sold + 1)
        .execution_options(synchronize_session=False)
    )
    promo, product, store = session.execute(
        select(Promo, Product, Store)
        .join(Product, Product.id == Promo.product_id)
        .join(Store, Store.id == Product.store_id)
        .where(Promo.id == promo_id)
    ).one()
    purchase = Purchase(
        client=client,
        hold_id=id,
        promo_id=promo_id,
        user=user,
        amount_cents=promo.promo_price_cents,
        currency=product.currency,
        completed_at=now,
    )
    session.add(purchase)
    session.flush()
    email = session.execute(
        select(Profile.email).where(Profile.client == client, Profile.user == user)
    ).scalar_one_or_none()
    event = PurchaseCompleted(
        purchase_id=purchase.id or 0,
        promo_id=promo_id,
        store_id=store.id or 0,
        store_name=store.name,
        product_id=product.id or 0,
        product_name=product.name,
        user=user,
        email=email,
        amount_cents=purchase.amount_cents,
        currency=purchase.currency,
        completed_at=now,
    )
    add_event(
        session,
        Envelope.new(
            type=PURCHASE_COMPLETED,
            source="promotions",
            client=client,
            data=event,
            correlation_id=request_id or None,
            time=now,
        ),
    )
    return PurchasePublic(
        id=purchase.id or 0,
        hold_id=id,
        promo_id=promo_id,
        user=user,
        amount_cents=purchase.amount_cents,
        currency=purchase.currency,
        completed_at=now,
    )


def _why_not(session: Session, *, client: str, id: int, user: str) -> Problem:
    hold = find_hold(session, client=client, id=id, user=user)
    if hold.status == HoldStatus.COMPLETED:
        return conflict(f"Hold {id} was completed already: its purchase is made.", "already_completed")
    if hold.status == HoldStatus.RELEASED:
        return conflict(f"Hold {id} was released: its unit was given back.", "released")
    return Problem(
        f"Hold {id} expired at {hold.expires_at.isoformat()}: its unit is given back; take a new hold.",
        status=410,
        code="expired",
    )
