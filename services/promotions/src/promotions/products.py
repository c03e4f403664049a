"""Products: one store's article at a regular price (integer cents, ISO 4217 currency).

A product that still has promos is not deleted (409 `product_has_promos`). Its regular price may not
drop to or below the price of one of its promos that has not ended (422 on `regular_price_cents`
naming them): the rule "a promo price is below the regular price" holds for every promo on sale or
to come; promos that ended are history and do not block a price change.
"""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import exists, func, select
from sqlmodel import Session

from promotions.models import Product, Promo, Store
from promotions.problems import apply, conflict, get_owned, invalid, owned_in_body
from promotions.schemas import ProductCreate, ProductPatch, ProductPublic


def public(product: Product) -> ProductPublic:
    return ProductPublic.model_validate(product, from_attributes=True)


def get_product(session: Session, *, client: str, id: int) -> Product:
    return get_owned(session, Product, client=client, id=id, what="Product")


def create_product(session: Session, *, client: str, data: ProductCreate, now: datetime) -> Product:
    owned_in_body(session, Store, client=client, id=data.store_id, field="store_id", what="store")
    product = Product(client=client, **data.model_dump(), created_at=now, updated_at=now)
    session.add(product)
    session.flush()
    return product


def update_product(session: Session, *, client: str, id: int, data: ProductPatch, now: datetime) -> Product:
    product = get_owned(session, Product, client=client, id=id, what="Product")
    changes = data.changes()
    if "store_id" in changes:
        owned_in_body(session, Store, client=client, id=changes["store_id"], field="store_id", what="store")
    if "regular_price_cents" in changes:
        _require_above_promo_prices(session, product_id=product.id, price=changes["regular_price_cents"], now=now)
    apply(product, changes)
    product.updated_at = now
    session.flush()
    return product


def delete_product(session: Session, *, client: str, id: int) -> None:
    product = get_owned(session, Product, client=client, id=id, what="Product")
    if session.execute(select(exists().where(Promo.product_id == product.id))).scalar_one():  # type: ignore[arg-type]
        raise conflict(f"Product {id} still has promos; delete them first.", "product_has_promos")
    session.delete(product)
    session.flush()


def list_products(session: Session, *, client: str, offset: int, limit: int) -> Sequence[Product]:
    query = select(Product).where(Product.client == client).order_by(Product.id).offset(offset).limit(limit)  # type: ignore[arg-type]
    return session.execute(query).scalars().all()


def count_products(session: Session, *, client: str) -> int:
    return session.execute(select(func.count()).where(Product.client == client)).scalar_one()


def _require_above_promo_prices(session: Session, *, product_id: int | None, price: int, now: datetime) -> None:
    blocking = (
        session.execute(
            select(Promo.id)
            .where(Promo.product_id == product_id, Promo.ends_at > now, Promo.promo_price_cents >= price)  # type: ignore[arg-type]
            .order_by(Promo.id)  # type: ignore[arg-type]
            .limit(20)
        )
        .scalars()
        .all()
    )
    if blocking:
        ids = ", ".join(str(promo_id) for promo_id in blocking)
        raise invalid("regular_price_cents", f"must stay above the price of the promos not ended yet ({ids})")
