"""Recording a product's price changes (`price_change`) and reading them back.

Every path that changes a price writes its row here in the same transaction: the API (`manual`),
a product file (`upload`) and the repricer (`repricing`, with its rule and competitor)."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlmodel import Session

from marketplace.models import PriceChange, PriceChangeSource
from marketplace.schemas_catalogue import PriceChangePublic


def record_change(
    session: Session,
    *,
    client: str,
    product_id: int,
    old_price_cents: int,
    new_price_cents: int,
    source: PriceChangeSource,
    now: datetime,
) -> None:
    """A change made by a person or a file: no rule, no competitor."""
    record_changes(session, [change_row(client, product_id, old_price_cents, new_price_cents, source, now)])


def record_changes(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(PriceChange.__table__), rows)  # type: ignore[attr-defined]


def change_row(
    client: str, product_id: int, old: int, new: int, source: PriceChangeSource, now: datetime
) -> dict[str, Any]:
    """A `price_change` row for `record_changes`."""
    return {
        "client": client,
        "product_id": product_id,
        "source": source.value,
        "old_price_cents": old,
        "new_price_cents": new,
        "rule": None,
        "competitor_merchant_id": None,
        "competitor_price_cents": None,
        "clamp": None,
        "at_floor": False,
        "applied": True,
        "detail": None,
        "changed_at": now,
    }


def list_changes(session: Session, *, product_id: int, offset: int, limit: int) -> Sequence[PriceChange]:
    query = (
        select(PriceChange)
        .where(PriceChange.product_id == product_id)  # type: ignore[arg-type]
        .order_by(PriceChange.id.desc())  # type: ignore[union-attr]
        .offset(offset)
        .limit(limit)
    )
    return session.execute(query).scalars().all()


def count_changes(session: Session, *, product_id: int) -> int:
    return session.execute(select(func.count()).where(PriceChange.product_id == product_id)).scalar_one()  # type: ignore[arg-type]


def public(change: PriceChange) -> PriceChangePublic:
    return PriceChangePublic.model_validate(change, from_attributes=True)
