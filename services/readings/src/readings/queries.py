"""Read use cases. Every one takes the calling client's code and looks only at that client's supply
points: another client's identifier is as unknown as one that never existed, so existence never leaks.
"""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, func, select
from sqlmodel import Session

from quintet_shared.errors import NotFound, Problem
from readings.models import Manufacturer, Meter, Reading, SupplyPoint
from readings.schemas import MeterPublic, ReadingPublic, SupplyPointDetail, SupplyPointSummary

MAX_READINGS = 100_000
"""The most readings `GET /readings/{identifier}` returns at once. The original contract has no
pages, so instead of truncating silently a larger range is refused (422) with a request to narrow it."""

FOUR_PLACES = Decimal("0.0001")


def _live_readings() -> ColumnElement[bool]:
    return Reading.deleted.is_(False)  # type: ignore[attr-defined]


class UnknownSupplyPoint(NotFound):
    """Not a supply point of the calling client (whether or not another client has one by that name)."""


def format_value(value: Decimal) -> str:
    return f"{value.quantize(FOUR_PLACES):f}"


def find_supply_point(session: Session, *, client: str, identifier: str) -> SupplyPoint:
    found = session.execute(
        select(SupplyPoint).where(SupplyPoint.client == client, SupplyPoint.identifier == identifier)
    ).scalar_one_or_none()
    if found is None:
        raise UnknownSupplyPoint(f"Supply point {identifier!r} was not found.")
    return found


def check_range(start: datetime | None, end: datetime | None, *, start_name: str, end_name: str) -> None:
    if start is not None and end is not None and start > end:
        raise Problem(
            f"{start_name} must not be later than {end_name}.",
            status=422,
            errors=[{"loc": ["query", end_name], "msg": f"must be at or after {start_name}"}],
        )


def readings_of(
    session: Session, *, client: str, identifier: str, start: datetime | None = None, end: datetime | None = None
) -> list[ReadingPublic]:
    """A supply point's readings in time order, `start` inclusive and `end` exclusive, deleted ones
    left out. More than MAX_READINGS is refused rather than cut short."""
    check_range(start, end, start_name="from_dt", end_name="to_dt")
    point = find_supply_point(session, client=client, identifier=identifier)
    query = select(Reading.value, Reading.read_at).where(Reading.supply_point_id == point.id, _live_readings())
    if start is not None:
        query = query.where(Reading.read_at >= start)
    if end is not None:
        query = query.where(Reading.read_at < end)
    # The meter id breaks ties: two meters of one point may read at the same instant.
    query = query.order_by(Reading.read_at, Reading.meter_id).limit(MAX_READINGS + 1)
    rows = session.execute(query).all()
    if len(rows) > MAX_READINGS:
        raise Problem(f"More than {MAX_READINGS} readings in this range; narrow it with from_dt and to_dt.", status=422)
    return [ReadingPublic(value=format_value(value), read_at=read_at) for value, read_at in rows]


def count_supply_points(session: Session, *, client: str) -> int:
    return session.execute(select(func.count()).where(SupplyPoint.client == client)).scalar_one()


def list_supply_points(session: Session, *, client: str, offset: int, limit: int) -> list[SupplyPointSummary]:
    """One page, ordered by identifier, with its counts computed in one query: the page is cut first,
    then only its points' readings are aggregated (through the (supply point, time) index)."""
    page = (
        select(SupplyPoint.id, SupplyPoint.identifier)
        .where(SupplyPoint.client == client)
        .order_by(SupplyPoint.identifier)
        .offset(offset)
        .limit(limit)
        .subquery()
    )
    meters = select(func.count(Meter.id)).where(Meter.supply_point_id == page.c.id).correlate(page).scalar_subquery()
    query = (
        select(
            page.c.identifier,
            meters.label("meters"),
            func.count(Reading.id).label("reading_count"),
            func.min(Reading.read_at).label("first_read_at"),
            func.max(Reading.read_at).label("last_read_at"),
        )
        .select_from(page)
        .outerjoin(Reading, (Reading.supply_point_id == page.c.id) & _live_readings())
        .group_by(page.c.id, page.c.identifier)
        .order_by(page.c.identifier)
    )
    return [SupplyPointSummary.model_validate(row, from_attributes=True) for row in session.execute(query)]


def _meters_of(session: Session, point_id: int) -> list[MeterPublic]:
    query = (
        select(
            Meter.serial,
            Manufacturer.name.label("manufacturer"),  # type: ignore[attr-defined]
            Meter.kind,
            Meter.active,
            func.count(Reading.id).label("reading_count"),
        )
        .outerjoin(Manufacturer, Manufacturer.id == Meter.manufacturer_id)
        .outerjoin(Reading, (Reading.meter_id == Meter.id) & _live_readings())
        .where(Meter.supply_point_id == point_id)
        .group_by(Meter.id, Meter.serial, Manufacturer.name, Meter.kind, Meter.active)
        .order_by(Meter.serial)
    )
    return [MeterPublic.model_validate(row, from_attributes=True) for row in session.execute(query)]


def supply_point_detail(session: Session, *, client: str, identifier: str) -> SupplyPointDetail:
    point = find_supply_point(session, client=client, identifier=identifier)
    counts = session.execute(
        select(
            func.count(Reading.id),
            func.count(Reading.id).filter(_live_readings()),
            func.min(Reading.read_at).filter(_live_readings()),
            func.max(Reading.read_at).filter(_live_readings()),
        ).where(Reading.supply_point_id == point.id)
    ).one()
    total, alive, first, last = counts
    return SupplyPointDetail(
        identifier=point.identifier,
        created_at=point.created_at,
        reading_count=alive,
        deleted_reading_count=total - alive,
        first_read_at=first,
        last_read_at=last,
        meters=_meters_of(session, point.id or 0),
    )
