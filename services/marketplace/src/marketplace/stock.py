"""Stock: units of a product per sales point (a missing row is zero). Set by the catalogue API and
taken or given back by orders (orders.py); the database refuses a negative count."""

from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy import select, update
from sqlmodel import Session

from marketplace.models import SalesPoint, Stock
from quintet_shared.rows import invalid
from quintet_shared.upsert import insert_for


def stock_of(session: Session, product_ids: Iterable[int]) -> dict[int, dict[int, int]]:
    """Units per sales point of each product (points at zero left out)."""
    ids = list(product_ids)
    result: dict[int, dict[int, int]] = {id: {} for id in ids}
    if not ids:
        return result
    query = select(Stock.product_id, Stock.sales_point_id, Stock.units).where(
        Stock.product_id.in_(ids),  # type: ignore[attr-defined]
        Stock.units > 0,  # type: ignore[arg-type]
    )
    for product_id, point_id, units in session.execute(query):
        result[product_id][point_id] = units
    return result


def set_stock(session: Session, *, client: str, product_id: int, units: Mapping[int, int], now: datetime) -> None:
    """Sets the named sales points' units (others keep theirs); every point must be the client's (422)."""
    if not units:
        return
    points = set(
        session.execute(
            select(SalesPoint.id).where(SalesPoint.client == client, SalesPoint.id.in_(list(units)))  # type: ignore[union-attr]
        ).scalars()
    )
    unknown = sorted(set(units) - points)
    if unknown:
        raise invalid("stock", f"names sales points that are not yours: {', '.join(map(str, unknown[:10]))}")
    rows = [
        {"product_id": product_id, "sales_point_id": point, "client": client, "units": count, "updated_at": now}
        for point, count in units.items()
    ]
    statement = insert_for(session, Stock.__table__)  # type: ignore[attr-defined]
    statement = statement.on_conflict_do_update(
        index_elements=["product_id", "sales_point_id"],
        set_={"units": statement.excluded.units, "updated_at": statement.excluded.updated_at},
    )
    session.execute(statement, rows)


def take(session: Session, *, product_id: int, sales_point_id: int, wanted: int, now: datetime) -> int:
    """Takes up to `wanted` units at the point; returns the units taken (fewer when it has fewer).
    The row is locked first (SQLite: the write lock), so concurrent orders never take one unit twice."""
    row = session.execute(
        select(Stock)
        .where(Stock.product_id == product_id, Stock.sales_point_id == sales_point_id)
        .with_for_update()  # type: ignore[arg-type]
        .execution_options(populate_existing=True)  # the locked row's units, not what the session saw earlier
    ).scalar_one_or_none()
    if row is None or row.units <= 0:
        return 0
    taken = min(wanted, row.units)
    session.execute(
        update(Stock)
        .where(Stock.product_id == product_id, Stock.sales_point_id == sales_point_id)  # type: ignore[arg-type]
        .values(units=Stock.units - taken, updated_at=now)
    )
    return taken


def give_back(
    session: Session, *, client: str, product_id: int, sales_point_id: int, units: int, now: datetime
) -> None:
    if units <= 0:
        return
    statement = insert_for(session, Stock.__table__)  # type: ignore[attr-defined]
    statement = statement.on_conflict_do_update(
        index_elements=["product_id", "sales_point_id"],
        set_={"units": Stock.__table__.c.units + units, "updated_at": now},  # type: ignore[attr-defined]
    )
    session.execute(
        statement,
        [
            {
                "product_id": product_id,
                "sales_point_id": sales_point_id,
                "client": client,
                "units": units,
                "updated_at": now,
            }
        ],
    )
