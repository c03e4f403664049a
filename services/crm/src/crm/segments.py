"""Segments, computed in SQL: the inactive (no visit since local midnight N days ago, in each
restaurant's own time zone; a customer who never visited is inactive) and the high spenders (total
spend at or above a threshold).

The original compared `now - N days` in the server's zone, so "inactive for 30 days" moved with the
time of day and ignored where the restaurant is. Here the cutoff is the start of the restaurant's
local day N days ago: at 30 days, a visit at 00:05 local time 30 days ago keeps the customer active
all of today, and one the evening before does not. The cutoffs are computed per time zone in Python
(zoneinfo knows DST; SQLite knows no zones) and the filter runs in the database, one condition per
distinct zone of the client's restaurants (a few; at most the ~600 IANA zones), over the
(restaurant, last_visit_at) and (restaurant, total_spend_cents) indexes.
"""

from collections.abc import Iterable, Sequence
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select
from sqlmodel import Session

from crm.models import Customer, Restaurant, SegmentType

DEFAULT_INACTIVE_DAYS = 30
DEFAULT_MIN_SPEND_CENTS = 50_000


def local_midnight_days_ago(zone: str, *, days: int, now: datetime) -> datetime:
    """The start of the local day `days` days before today in `zone`, as an aware instant. Where a
    DST change skips local midnight (a few zones), the offset before the change is used: the
    cutoff then falls in the skipped hour, which no visit can have happened in locally."""
    tz = ZoneInfo(zone)
    day = now.astimezone(tz).date() - timedelta(days=days)
    return datetime.combine(day, time(0), tzinfo=tz)


def inactive_cutoffs(zones: Iterable[str], *, days: int, now: datetime) -> dict[str, datetime]:
    return {zone: local_midnight_days_ago(zone, days=days, now=now) for zone in set(zones)}


def segment_condition(
    session: Session,
    *,
    client: str,
    segment_type: SegmentType,
    value: int,
    now: datetime,
    restaurant_id: int | None = None,
) -> ColumnElement[bool]:
    """The WHERE clause (over `customer` joined to `restaurant`) of a segment's members."""
    if segment_type is SegmentType.HIGH_SPENDERS:
        return Customer.total_spend_cents >= value  # type: ignore[return-value]
    zones_query = select(Restaurant.timezone).where(Restaurant.client == client).distinct()  # type: ignore[arg-type]
    if restaurant_id is not None:
        zones_query = zones_query.where(Restaurant.id == restaurant_id)  # type: ignore[arg-type]
    zones = session.execute(zones_query).scalars().all()
    cutoffs = inactive_cutoffs(zones, days=value, now=now)
    if not cutoffs:
        return false()
    last_visit = Customer.last_visit_at
    return or_(
        *(
            and_(Restaurant.timezone == zone, or_(last_visit.is_(None), last_visit < cutoff))  # type: ignore[union-attr, operator, arg-type]
            for zone, cutoff in sorted(cutoffs.items())
        )
    )


def segment_query(
    session: Session,
    *,
    client: str,
    segment_type: SegmentType,
    value: int,
    now: datetime,
    restaurant_id: int | None = None,
) -> Select[tuple[Customer]]:
    """The segment's customers (of one restaurant when given), by id: a statement to page or batch."""
    condition = segment_condition(
        session, client=client, segment_type=segment_type, value=value, now=now, restaurant_id=restaurant_id
    )
    query = (
        select(Customer)
        .join(Restaurant, Restaurant.id == Customer.restaurant)  # type: ignore[arg-type]
        .where(Customer.client == client, condition)  # type: ignore[arg-type]
        .order_by(Customer.id)  # type: ignore[arg-type]
    )
    if restaurant_id is not None:
        query = query.where(Customer.restaurant == restaurant_id)  # type: ignore[arg-type]
    return query


def segment_page(
    session: Session,
    *,
    client: str,
    segment_type: SegmentType,
    value: int,
    now: datetime,
    restaurant_id: int | None,
    offset: int,
    limit: int,
) -> tuple[Sequence[Customer], int]:
    query = segment_query(
        session, client=client, segment_type=segment_type, value=value, now=now, restaurant_id=restaurant_id
    )
    count = session.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    return session.execute(query.offset(offset).limit(limit)).scalars().all(), count
