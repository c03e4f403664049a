"""The consumption use case: loads what the rules in consumption.py need, for one client's point."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, func, select
from sqlmodel import Session

from quintet_shared.errors import Problem
from quintet_shared.instants import require_within
from readings import consumption as rules
from readings.models import ClientFormat, Meter, Reading
from readings.queries import find_supply_point
from readings.schemas import (
    ConsumptionPublic,
    ConsumptionWarning,
    Granularity,
    PeriodConsumption,
    PeriodSources,
)

# Longest range per granularity: enough for a year of hours or a decade of days, and it bounds the
# rows read and the periods returned (at most 8,785 hours or 3,654 days).
MAX_RANGE = {
    Granularity.HOUR: timedelta(days=366),
    Granularity.DAY: timedelta(days=3653),
    Granularity.MONTH: timedelta(days=3653),
}

# Built-in clients' zones, used when the operator has set none (the parsers' defaults).
DEFAULT_TIMEZONES = {"potatoes": "UTC", "carrots": "Asia/Tokyo"}


def client_timezone(session: Session, client: str) -> ZoneInfo:
    """The client's local zone: its configured one, else the built-in default, else UTC."""
    configured = session.get(ClientFormat, client)
    return ZoneInfo(configured.timezone if configured else DEFAULT_TIMEZONES.get(client, "UTC"))


def check_consumption_range(start: datetime, end: datetime, granularity: Granularity) -> None:
    # Periods are local days and months: near an end of the calendar they would run off it.
    require_within(start, field="from")
    require_within(end, field="to")
    if start >= end:
        error = {"loc": ["query", "to"], "msg": "must be after from"}
        raise Problem("from must be before to.", status=422, errors=[error])
    if end - start > MAX_RANGE[granularity]:
        days = MAX_RANGE[granularity].days
        raise Problem(
            f"A range of at most {days} days can be asked at {granularity.value} granularity.",
            status=422,
            errors=[{"loc": ["query", "to"], "msg": f"at most {days} days after from"}],
        )


def _register_query(point_id: int, *conditions: ColumnElement[bool]) -> Select[tuple[str | None, datetime, Decimal]]:
    return (
        select(Meter.serial, Reading.read_at, Reading.value)
        .outerjoin(Meter, Meter.id == Reading.meter_id)
        .where(
            Reading.supply_point_id == point_id,
            Reading.interval_minutes.is_(None),  # type: ignore[union-attr]
            Reading.deleted.is_(False),  # type: ignore[attr-defined]
            *conditions,
        )
    )


def _edge_reads(session: Session, point_id: int, start: datetime, end: datetime) -> list[rules.RegisterRead]:
    """Per meter, the last register read before the range and the first one after it, so that the
    spans crossing the range's edges count their inside share."""
    meter_key = func.coalesce(Reading.meter_id, 0)
    found: list[rules.RegisterRead] = []
    for edge, condition in ((func.max, Reading.read_at < start), (func.min, Reading.read_at >= end)):
        nearest = _register_query(point_id, condition).with_only_columns(
            meter_key.label("meter_key"), edge(Reading.read_at).label("read_at")
        )
        nearest_sq = nearest.group_by(meter_key).subquery()
        query = _register_query(point_id).join(
            nearest_sq, and_(nearest_sq.c.meter_key == meter_key, nearest_sq.c.read_at == Reading.read_at)
        )
        found += [rules.RegisterRead(*row) for row in session.execute(query)]
    return found


def _register_reads(session: Session, point_id: int, start: datetime, end: datetime) -> list[rules.RegisterRead]:
    inside = _register_query(point_id, Reading.read_at >= start, Reading.read_at < end)
    return [rules.RegisterRead(*row) for row in session.execute(inside)] + _edge_reads(session, point_id, start, end)


def _intervals(session: Session, point_id: int, start: datetime, end: datetime) -> list[tuple[datetime, Decimal]]:
    query = select(Reading.read_at, Reading.value).where(
        Reading.supply_point_id == point_id,
        Reading.interval_minutes.is_not(None),  # type: ignore[union-attr]
        Reading.deleted.is_(False),  # type: ignore[attr-defined]
        Reading.read_at >= start,
        Reading.read_at < end,
    )
    return [(read_at, value) for read_at, value in session.execute(query)]


def _warnings(usage: rules.Usage, zone: ZoneInfo) -> list[ConsumptionWarning]:
    return [
        ConsumptionWarning(
            code="register_decreased",
            message=(
                f"The register fell from {span.start_value} to {span.end_value} (a reset or a replaced meter?); "
                "this span is not counted."
            ),
            meter=span.meter,
            start=span.start.astimezone(zone),
            end=span.end.astimezone(zone),
        )
        for span in usage.decreases
    ]


def _periods(usage: rules.Usage, zone: ZoneInfo) -> list[PeriodConsumption]:
    return [
        PeriodConsumption(
            start=start.astimezone(zone),
            end=end.astimezone(zone),
            consumption=rules.format_units(interval + register),
            has_data=covered,
            sources=PeriodSources(interval=rules.format_units(interval), register_=rules.format_units(register)),
        )
        for (start, end), interval, register, covered in zip(
            usage.bounds, usage.interval, usage.register, usage.covered, strict=True
        )
    ]


def consumption_of(
    session: Session, *, client: str, identifier: str, start: datetime, end: datetime, granularity: Granularity
) -> ConsumptionPublic:
    """Energy used per local period of the client (see consumption.py for the rules)."""
    check_consumption_range(start, end, granularity)
    point = find_supply_point(session, client=client, identifier=identifier)
    point_id = point.id or 0
    zone = client_timezone(session, client)
    bounds = rules.periods(start, end, granularity, zone)
    usage = rules.compute(
        bounds, _intervals(session, point_id, start, end), _register_reads(session, point_id, start, end)
    )
    return ConsumptionPublic(
        identifier=point.identifier,
        granularity=granularity,
        timezone=zone.key,
        from_=start.astimezone(zone),
        to=end.astimezone(zone),
        periods=_periods(usage, zone),
        warnings=_warnings(usage, zone),
    )
