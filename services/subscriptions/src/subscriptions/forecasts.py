"""Forecast points, by their `gid` (unique per client, as given). A point added, moved or deleted
relinks the client's subscribers to their nearest point (`relink`), in the same transaction, so
`subscription.forecast_id` is always the nearest of the points that exist."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, func, select, update
from sqlmodel import Session

from quintet_shared.errors import NotFound
from subscriptions.models import ForecastPoint, Subscription
from subscriptions.nearest import PointIndex
from subscriptions.problems import apply, conflict
from subscriptions.schemas import ForecastCreate, ForecastPatch, ForecastPublic

RELINK_BATCH = 10_000


def public(point: ForecastPoint) -> ForecastPublic:
    return ForecastPublic.model_validate(point, from_attributes=True)


def find(session: Session, *, client: str, gid: str) -> ForecastPoint | None:
    query = select(ForecastPoint).where(ForecastPoint.client == client, ForecastPoint.gid == gid)  # type: ignore[arg-type]
    return session.execute(query).scalar_one_or_none()


def get_point(session: Session, *, client: str, gid: str) -> ForecastPoint:
    point = find(session, client=client, gid=gid)
    if point is None:
        raise NotFound(f"Forecast point {gid!r} was not found.")
    return point


def create_point(session: Session, *, client: str, data: ForecastCreate, now: datetime) -> ForecastPoint:
    if find(session, client=client, gid=data.gid) is not None:
        raise conflict(f"Forecast point {data.gid!r} exists; change it with PATCH.", "gid_taken")
    point = ForecastPoint(client=client, **data.model_dump(), created_at=now, updated_at=now)
    session.add(point)
    session.flush()
    relink(session, client=client)
    return point


def update_point(session: Session, *, client: str, gid: str, data: ForecastPatch, now: datetime) -> ForecastPoint:
    point = get_point(session, client=client, gid=gid)
    changes = data.changes()
    moved = any(changes.get(name, getattr(point, name)) != getattr(point, name) for name in ("latitude", "longitude"))
    apply(point, changes)
    point.updated_at = now
    session.flush()
    if moved:
        relink(session, client=client)
    return point


def delete_point(session: Session, *, client: str, gid: str) -> None:
    point = get_point(session, client=client, gid=gid)
    session.delete(point)
    session.flush()
    relink(session, client=client)


def list_points(session: Session, *, client: str, offset: int, limit: int) -> Sequence[ForecastPoint]:
    query = select(ForecastPoint).where(ForecastPoint.client == client).order_by(ForecastPoint.gid)  # type: ignore[arg-type]
    return session.execute(query.offset(offset).limit(limit)).scalars().all()


def count_points(session: Session, *, client: str) -> int:
    return session.execute(select(func.count()).where(ForecastPoint.client == client)).scalar_one()  # type: ignore[arg-type]


def relink(session: Session, *, client: str) -> int:
    """Link every subscriber of the client to its nearest point (the batch index, in batches of rows
    by id); only the links that change are written. How many changed."""
    index = PointIndex.load(session, client=client)
    table = Subscription.__table__  # type: ignore[attr-defined]
    write = update(table).where(table.c.id == bindparam("sid")).values(forecast_id=bindparam("fid"))
    changed, last_id = 0, 0
    while True:
        query = (
            select(table.c.id, table.c.latitude, table.c.longitude, table.c.forecast_id)
            .where(table.c.client == client, table.c.id > last_id)
            .order_by(table.c.id)
            .limit(RELINK_BATCH)
        )
        rows = session.execute(query).all()
        if not rows:
            return changed
        nearest = index.nearest_ids([row.latitude for row in rows], [row.longitude for row in rows])
        moves = [{"sid": row.id, "fid": new} for row, new in zip(rows, nearest, strict=True) if row.forecast_id != new]
        if moves:
            session.execute(write, moves)
            changed += len(moves)
        last_id = rows[-1].id
