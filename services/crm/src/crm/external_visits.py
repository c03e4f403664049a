"""Visits from other services' sales: a purchase or an order at a store linked to a restaurant
(`links`) is a visit of that restaurant's customer with the buyer's email, created if new.

`record_external_visit` is idempotent by the sale's reference: the visit row carries `(source,
source_ref)`, unique per client, so the same sale counts once even when its event arrives twice
under two message ids (the inbox already drops a redelivered message). The customer is found or
created with one `INSERT ... ON CONFLICT DO NOTHING` on (restaurant, email), so two sales of a new
customer at once make one customer; the totals follow under the customer's lock (totals.py).
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from crm.models import Customer, LinkedService, RestaurantLink, Visit, VisitSource
from crm.totals import refresh_totals
from quintet_shared.upsert import insert_for


@dataclass(frozen=True)
class ExternalVisit:
    client: str
    service: LinkedService
    store_id: str
    ref: str  # the sale's id in that service
    email: str  # lower-cased
    first_name: str
    last_name: str
    spend_cents: int
    visited_at: datetime


def linked_restaurant(session: Session, *, client: str, service: LinkedService, store_id: str) -> int | None:
    query = select(RestaurantLink.restaurant).where(
        RestaurantLink.client == client,  # type: ignore[arg-type]
        RestaurantLink.service == service,  # type: ignore[arg-type]
        RestaurantLink.store_id == store_id,  # type: ignore[arg-type]
    )
    return session.execute(query).scalar()


def record_external_visit(session: Session, visit: ExternalVisit, *, now: datetime) -> int | None:
    """The new visit's id; None when the store is linked to no restaurant of the client or the sale
    was recorded already."""
    restaurant = linked_restaurant(session, client=visit.client, service=visit.service, store_id=visit.store_id)
    if restaurant is None:
        return None
    customer_id = _customer(session, visit, restaurant=restaurant, now=now)
    # A sale's time comes from the other service's clock; a visit is never in the future here.
    visited_at = min(visit.visited_at, now)
    statement = (
        insert_for(session, Visit.__table__)  # type: ignore[attr-defined]
        .values(
            client=visit.client,
            customer=customer_id,
            spend_cents=visit.spend_cents,
            visited_at=visited_at,
            source=VisitSource(visit.service.value),
            source_ref=visit.ref,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["client", "source", "source_ref"])
        .returning(Visit.__table__.c.id)  # type: ignore[attr-defined]
    )
    visit_id = session.execute(statement).scalar()
    if visit_id is None:
        return None
    refresh_totals(session, client=visit.client, customer_ids=[customer_id], now=now)
    return visit_id


def _customer(session: Session, visit: ExternalVisit, *, restaurant: int, now: datetime) -> int:
    table = Customer.__table__  # type: ignore[attr-defined]
    statement = (
        insert_for(session, table)
        .values(
            client=visit.client,
            restaurant=restaurant,
            email=visit.email,
            first_name=visit.first_name,
            last_name=visit.last_name,
            total_spend_cents=0,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["restaurant", "email"])
    )
    session.execute(statement)
    found = select(table.c.id).where(table.c.restaurant == restaurant, table.c.email == visit.email)
    return session.execute(found).scalar_one()
