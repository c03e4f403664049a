"""Visits: what a customer spent and when. Every path that creates, changes or deletes one refreshes
the customer's totals in the same transaction (totals.py), so `total_spend_cents` and
`last_visit_at` are exact whichever path was used and however many run at once.

A visit is not in the future (422): `last_visit_at` would otherwise make a customer active for days
to come. Each write use case starts with `begin_write`, so on SQLite what it reads is what it
decides on (quintet_shared.write_lock); on PostgreSQL the visit row is locked before the customers.
"""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlmodel import Session

from crm.models import Customer, Visit
from crm.problems import apply, get_owned, invalid, owned, owned_in_body
from crm.schemas import VisitCreate, VisitPatch, VisitPublic
from crm.totals import lock_customer, refresh_totals
from quintet_shared.errors import NotFound
from quintet_shared.write_lock import begin_write


def public(visit: Visit) -> VisitPublic:
    return VisitPublic.model_validate(visit, from_attributes=True)


def _when(visited_at: datetime | None, *, now: datetime, field: str = "visited_at") -> datetime:
    if visited_at is None:
        return now
    if visited_at > now:
        raise invalid(field, "must not be in the future")
    return visited_at


def add_visit(
    session: Session, *, client: str, customer_id: int, spend_cents: int, visited_at: datetime | None, now: datetime
) -> Visit:
    """A visit of the customer in the path (404 if not the caller's), its totals refreshed."""
    begin_write(session)
    return _record(
        session, client=client, customer_id=customer_id, spend_cents=spend_cents, visited_at=visited_at, now=now
    )


def _record(
    session: Session, *, client: str, customer_id: int, spend_cents: int, visited_at: datetime | None, now: datetime
) -> Visit:
    when = _when(visited_at, now=now)
    if not lock_customer(session, client=client, id=customer_id, now=now):
        raise NotFound(f"Customer {customer_id} was not found.")
    visit = Visit(
        client=client, customer=customer_id, spend_cents=spend_cents, visited_at=when, created_at=now, updated_at=now
    )
    session.add(visit)
    refresh_totals(session, client=client, customer_ids=[customer_id], now=now)
    return visit


def create_visit(session: Session, *, client: str, data: VisitCreate, now: datetime) -> Visit:
    """As add_visit, the customer named in the body (422 if not the caller's)."""
    begin_write(session)
    owned_in_body(session, Customer, client=client, id=data.customer, field="customer", what="customer")
    return _record(
        session,
        client=client,
        customer_id=data.customer,
        spend_cents=data.spend_cents,
        visited_at=data.visited_at,
        now=now,
    )


def update_visit(session: Session, *, client: str, id: int, data: VisitPatch, now: datetime) -> Visit:
    """Change a visit's spend, time or customer; the totals of the customers before and after are
    refreshed."""
    begin_write(session)
    visit = owned(session, Visit, client=client, id=id, lock=True)
    if visit is None:
        raise NotFound(f"Visit {id} was not found.")
    changes = data.changes()
    if "customer" in changes:
        owned_in_body(session, Customer, client=client, id=changes["customer"], field="customer", what="customer")
    if "visited_at" in changes:
        _when(changes["visited_at"], now=now)
    before = visit.customer
    apply(visit, changes)
    visit.updated_at = now
    refresh_totals(session, client=client, customer_ids=[before, visit.customer], now=now)
    return visit


def delete_visit(session: Session, *, client: str, id: int, now: datetime) -> None:
    begin_write(session)
    visit = owned(session, Visit, client=client, id=id, lock=True)
    if visit is None:
        raise NotFound(f"Visit {id} was not found.")
    customer = visit.customer
    session.delete(visit)
    refresh_totals(session, client=client, customer_ids=[customer], now=now)


def get_visit(session: Session, *, client: str, id: int) -> Visit:
    return get_owned(session, Visit, client=client, id=id, what="Visit")


def list_visits(
    session: Session, *, client: str, customer_id: int | None, offset: int, limit: int
) -> tuple[Sequence[Visit], int]:
    """A page of the caller's visits by id, of one customer when given; and how many there are."""
    where = [Visit.client == client]
    if customer_id is not None:
        where.append(Visit.customer == customer_id)
    rows = session.execute(select(Visit).where(*where).order_by(Visit.id).offset(offset).limit(limit))  # type: ignore[arg-type]
    count = session.execute(select(func.count()).select_from(Visit).where(*where)).scalar_one()
    return rows.scalars().all(), count
