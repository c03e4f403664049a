"""Customers of a client's restaurants. An email is unique per restaurant, compared without regard
to case (409 `duplicate_email`); a customer stays in its restaurant (another restaurant's customer
is a new customer there). The totals are the visits' (totals.py), never written by a caller.
Deleting a customer deletes its visits and outreach events with it."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from crm.models import Customer, Restaurant
from crm.problems import apply, conflict, get_owned, owned_in_body
from crm.schemas import CustomerCreate, CustomerPatch, CustomerPublic
from quintet_shared.errors import Conflict


def public(customer: Customer) -> CustomerPublic:
    return CustomerPublic(
        id=customer.id,  # type: ignore[arg-type]
        restaurant=customer.restaurant,
        email=customer.email,
        first_name=customer.first_name,
        last_name=customer.last_name,
        total_spend_cents=customer.total_spend_cents,
        last_visit_at=customer.last_visit_at,
        unsubscribed=customer.unsubscribed_at is not None,
        created_at=customer.created_at,
        updated_at=customer.updated_at,
    )


def get_customer(session: Session, *, client: str, id: int) -> Customer:
    return get_owned(session, Customer, client=client, id=id, what="Customer")


def _duplicate(email: str, restaurant: int) -> Conflict:
    return conflict(f"Restaurant {restaurant} already has a customer with email {email}.", "duplicate_email")


def _email_taken(session: Session, *, restaurant: int, email: str, other_than: int | None = None) -> bool:
    condition = [Customer.restaurant == restaurant, Customer.email == email]
    if other_than is not None:
        condition.append(Customer.id != other_than)
    return session.execute(select(exists().where(*condition))).scalar_one()  # type: ignore[arg-type]


def _flush_unique(session: Session, *, email: str, restaurant: int) -> None:
    """Flush in a savepoint: a concurrent insert of the same email is a 409 with its code too."""
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise _duplicate(email, restaurant) from None


def create_customer(session: Session, *, client: str, data: CustomerCreate, now: datetime) -> Customer:
    owned_in_body(session, Restaurant, client=client, id=data.restaurant, field="restaurant", what="restaurant")
    if _email_taken(session, restaurant=data.restaurant, email=data.email):
        raise _duplicate(data.email, data.restaurant)
    customer = Customer(client=client, **data.model_dump(), created_at=now, updated_at=now)
    session.add(customer)
    _flush_unique(session, email=data.email, restaurant=data.restaurant)
    return customer


def update_customer(session: Session, *, client: str, id: int, data: CustomerPatch, now: datetime) -> Customer:
    customer = get_customer(session, client=client, id=id)
    changes = data.changes()
    email = changes.get("email")
    if email is not None and _email_taken(session, restaurant=customer.restaurant, email=email, other_than=id):
        raise _duplicate(email, customer.restaurant)
    apply(customer, changes)
    customer.updated_at = now
    _flush_unique(session, email=customer.email, restaurant=customer.restaurant)
    return customer


def delete_customer(session: Session, *, client: str, id: int) -> None:
    session.delete(get_customer(session, client=client, id=id))
    session.flush()


def list_customers(
    session: Session, *, client: str, restaurant_id: int | None, offset: int, limit: int
) -> tuple[Sequence[Customer], int]:
    where = [Customer.client == client]
    if restaurant_id is not None:
        where.append(Customer.restaurant == restaurant_id)
    rows = session.execute(select(Customer).where(*where).order_by(Customer.id).offset(offset).limit(limit))  # type: ignore[arg-type]
    count = session.execute(select(func.count()).select_from(Customer).where(*where)).scalar_one()
    return rows.scalars().all(), count
