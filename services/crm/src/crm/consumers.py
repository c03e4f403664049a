"""The events crm consumes, each handled once (the kit's inbox) in the batch's transaction:

- `promotions.purchase.completed` and `marketplace.order.placed`: a sale at a store linked to one of
  the client's restaurants becomes a visit of the customer with the buyer's email (external_visits.py).
  A sale without an email, at a store linked to no restaurant, or with a payload crm cannot read is
  acknowledged and ignored (logged): there is nothing to record, and retrying will not change that.

The payload models read only what crm needs and tolerate the rest (the producer owns the contract).
"""

import logging
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlmodel import Session

from crm.customer_csv import MAX_EMAIL, MAX_NAME, is_email
from crm.external_visits import ExternalVisit, record_external_visit
from crm.models import LinkedService
from crm.schemas import MAX_CENTS
from quintet_shared.envelope import Envelope
from quintet_shared.inbox import EventHandler

log = logging.getLogger(__name__)

PURCHASE_COMPLETED = "promotions.purchase.completed"
ORDER_PLACED = "marketplace.order.placed"


class _Payload(BaseModel):
    model_config = ConfigDict(extra="ignore")


class PurchaseCompleted(_Payload):
    """What crm reads of promotions' `promotions.purchase.completed`."""

    purchase_id: int
    store_id: int | str
    email: str | None = None
    amount_cents: int = Field(ge=0, le=MAX_CENTS)
    completed_at: datetime


class OrderPlaced(_Payload):
    """What crm reads of marketplace's `marketplace.order.placed`."""

    order_id: int | str
    store_id: int | str
    customer_email: str | None = None
    customer_name: str | None = None
    total_cents: int = Field(ge=0, le=MAX_CENTS)
    placed_at: datetime


def _email(value: str | None) -> str | None:
    email = (value or "").strip().lower()
    return email if len(email) <= MAX_EMAIL and is_email(email) else None


def _names(full: str | None) -> tuple[str, str]:
    first, _, last = (full or "").strip().partition(" ")
    return first.strip()[:MAX_NAME], last.strip()[:MAX_NAME]


def _external(envelope: Envelope) -> ExternalVisit | None:
    """The sale as a visit to record, or None (with the reason logged) when there is none."""
    if not envelope.client:
        log.warning("sale event without a client ignored", extra={"message_id": str(envelope.id)})
        return None
    try:
        if envelope.type == PURCHASE_COMPLETED:
            purchase = PurchaseCompleted.model_validate(envelope.data)
            service, ref, store = LinkedService.PROMOTIONS, str(purchase.purchase_id), str(purchase.store_id)
            email, names = purchase.email, ("", "")
            spend, at = purchase.amount_cents, purchase.completed_at
        else:
            order = OrderPlaced.model_validate(envelope.data)
            service, ref, store = LinkedService.MARKETPLACE, str(order.order_id), str(order.store_id)
            email, names = order.customer_email, _names(order.customer_name)
            spend, at = order.total_cents, order.placed_at
    except ValidationError as exc:
        log.warning("unreadable sale event ignored: %s", exc.errors()[:3], extra={"message_id": str(envelope.id)})
        return None
    address = _email(email)
    if address is None or at.tzinfo is None:
        log.info("sale without a usable email or time ignored", extra={"message_id": str(envelope.id)})
        return None
    return ExternalVisit(
        client=envelope.client,
        service=service,
        store_id=store[:64],
        ref=ref[:200],
        email=address,
        first_name=names[0],
        last_name=names[1],
        spend_cents=spend,
        visited_at=at.astimezone(UTC),
    )


def record_sale(session: Session, envelope: Envelope) -> None:
    visit = _external(envelope)
    if visit is not None:
        record_external_visit(session, visit, now=datetime.now(UTC))


EVENT_HANDLERS: dict[str, EventHandler] = {PURCHASE_COMPLETED: record_sale, ORDER_PLACED: record_sale}
