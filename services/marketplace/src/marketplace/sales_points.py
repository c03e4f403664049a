"""Sales points: a store's pickup points and warehouses, where stock is kept. A name is unique per
store (409 `duplicate_name`); a sales point holding stock or named by orders is not deleted (409
`sales_point_in_use`)."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from marketplace.models import CustomerOrder, SalesPoint, Stock, Store
from marketplace.schemas_catalogue import SalesPointCreate, SalesPointPatch, SalesPointPublic
from quintet_shared.errors import Conflict
from quintet_shared.rows import apply, get_owned, owned_in_body


def public(point: SalesPoint) -> SalesPointPublic:
    return SalesPointPublic.model_validate(point, from_attributes=True)


def get_sales_point(session: Session, *, client: str, id: int) -> SalesPoint:
    return get_owned(session, SalesPoint, client=client, id=id, what="Sales point")


def create_sales_point(session: Session, *, client: str, data: SalesPointCreate, now: datetime) -> SalesPoint:
    owned_in_body(session, Store, client=client, id=data.store_id, field="store_id", what="store")
    point = SalesPoint(client=client, **data.model_dump(), created_at=now, updated_at=now)
    _check_name_free(session, store_id=data.store_id, name=point.name, point_id=None)
    session.add(point)
    _flush(session, point.name)
    return point


def update_sales_point(session: Session, *, client: str, id: int, data: SalesPointPatch, now: datetime) -> SalesPoint:
    point = get_sales_point(session, client=client, id=id)
    changes = data.changes()
    if "name" in changes:
        _check_name_free(session, store_id=point.store_id, name=changes["name"], point_id=point.id)
    apply(point, changes)
    point.updated_at = now
    _flush(session, point.name)
    return point


def delete_sales_point(session: Session, *, client: str, id: int) -> None:
    point = get_sales_point(session, client=client, id=id)
    stocked = exists().where(Stock.sales_point_id == point.id, Stock.units > 0)  # type: ignore[arg-type]
    ordered = exists().where(CustomerOrder.sales_point_id == point.id)  # type: ignore[arg-type]
    if session.execute(select(stocked)).scalar_one() or session.execute(select(ordered)).scalar_one():
        raise Conflict(f"Sales point {id} still holds stock or is named by orders.", code="sales_point_in_use")
    for row in session.execute(select(Stock).where(Stock.sales_point_id == point.id)).scalars():  # type: ignore[arg-type]
        session.delete(row)  # empty stock rows only (checked above)
    session.delete(point)
    session.flush()


def list_sales_points(
    session: Session, *, client: str, store_id: int | None, offset: int, limit: int
) -> Sequence[SalesPoint]:
    query = _filtered(select(SalesPoint), client=client, store_id=store_id)
    return session.execute(query.order_by(SalesPoint.id).offset(offset).limit(limit)).scalars().all()  # type: ignore[arg-type]


def count_sales_points(session: Session, *, client: str, store_id: int | None) -> int:
    return session.execute(
        _filtered(select(func.count()).select_from(SalesPoint), client=client, store_id=store_id)
    ).scalar_one()


def _filtered(query: Select[Any], *, client: str, store_id: int | None) -> Select[Any]:
    query = query.where(SalesPoint.client == client)
    return query if store_id is None else query.where(SalesPoint.store_id == store_id)


def _check_name_free(session: Session, *, store_id: int, name: str, point_id: int | None) -> None:
    query = select(SalesPoint.id).where(SalesPoint.store_id == store_id, SalesPoint.name == name)  # type: ignore[arg-type]
    found = session.execute(query).scalar_one_or_none()
    if found is not None and found != point_id:
        raise _duplicate(name)


def _flush(session: Session, name: str) -> None:
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent create of the same name
        raise _duplicate(name) from exc


def _duplicate(name: str) -> Conflict:
    return Conflict(f"The store already has a sales point named {name!r}.", code="duplicate_name")
