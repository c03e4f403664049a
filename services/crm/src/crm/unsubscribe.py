"""A customer unsubscribes through the link in a campaign email (unsubscribe_tokens): from then on
every campaign skips them (campaign_ledger records them `skipped`, and a batch already claimed skips
them too). Unsubscribing twice keeps the first time."""

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from crm.models import Customer, Restaurant
from crm.unsubscribe_tokens import token_customer, token_valid
from quintet_shared.errors import NotFound


@dataclass(frozen=True)
class Unsubscriber:
    customer: Customer
    restaurant: str


def find_unsubscriber(session: Session, *, secret: str, token: str, lock: bool = False) -> Unsubscriber:
    """The customer the token was made for; 404 for a token that is malformed, forged or whose
    customer is gone (one answer for all, so a token's parts cannot be probed one by one)."""
    customer_id = token_customer(token)
    customer = None if customer_id is None else session.get(Customer, customer_id, with_for_update=lock)
    if customer is None or not token_valid(secret, token, client=customer.client, customer_id=customer.id or 0):
        raise NotFound("This unsubscribe link is not valid.")
    restaurant = session.get(Restaurant, customer.restaurant)
    return Unsubscriber(customer, restaurant.name if restaurant else "")


def unsubscribe(session: Session, *, secret: str, token: str, now: datetime) -> Unsubscriber:
    found = find_unsubscriber(session, secret=secret, token=token, lock=True)
    if found.customer.unsubscribed_at is None:
        found.customer.unsubscribed_at = now
        found.customer.updated_at = now
        session.flush()
    return found
