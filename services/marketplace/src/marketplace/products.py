"""Products: the seller's SKUs (unique per client, 409 `duplicate_sku`), their price bounds for the
repricer and their stock per sales point. The bounds must hold together: `min_price_cents <=
max_price_cents` (422 naming the field); left out at creation, each is the price. A price changed
through the API is recorded in the price history (`manual`). A product named by orders is not
deleted (409 `product_has_orders`); its stock, offers and history go with it."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from marketplace import price_history, stock
from marketplace.models import OrderItem, PriceChangeSource, Product
from marketplace.schemas_catalogue import ProductCreate, ProductPatch, ProductPublic
from quintet_shared.errors import Conflict
from quintet_shared.rows import apply, get_owned, invalid


def public(product: Product, units: dict[int, int]) -> ProductPublic:
    return ProductPublic.model_validate({**product.model_dump(), "stock": units})


def publics(session: Session, products: Sequence[Product]) -> list[ProductPublic]:
    units = stock.stock_of(session, [product.id for product in products if product.id is not None])
    return [public(product, units[product.id or 0]) for product in products]


def public_one(session: Session, product: Product) -> ProductPublic:
    return publics(session, [product])[0]


def get_product(session: Session, *, client: str, id: int) -> Product:
    return get_owned(session, Product, client=client, id=id, what="Product")


def create_product(session: Session, *, client: str, data: ProductCreate, now: datetime) -> Product:
    fields = data.model_dump(exclude={"stock"})
    fields["min_price_cents"] = fields["min_price_cents"] or fields["price_cents"]
    fields["max_price_cents"] = fields["max_price_cents"] or fields["price_cents"]
    check_bounds(fields)
    _check_sku_free(session, client=client, sku=fields["sku"], product_id=None)
    product = Product(client=client, **fields, created_at=now, updated_at=now)
    session.add(product)
    _flush(session, product.sku)
    assert product.id is not None
    stock.set_stock(session, client=client, product_id=product.id, units=data.stock, now=now)
    return product


def update_product(session: Session, *, client: str, id: int, data: ProductPatch, now: datetime) -> Product:
    product = get_product(session, client=client, id=id)
    changes = data.changes()
    units = changes.pop("stock", None)
    if "sku" in changes:
        _check_sku_free(session, client=client, sku=changes["sku"], product_id=product.id)
    check_bounds({**product.model_dump(), **changes})
    old_price = product.price_cents
    apply(product, changes)
    product.updated_at = now
    _flush(session, product.sku)
    assert product.id is not None
    if product.price_cents != old_price:
        price_history.record_change(
            session,
            client=client,
            product_id=product.id,
            old_price_cents=old_price,
            new_price_cents=product.price_cents,
            source=PriceChangeSource.MANUAL,
            now=now,
        )
    if units:
        stock.set_stock(session, client=client, product_id=product.id, units=units, now=now)
    return product


def delete_product(session: Session, *, client: str, id: int) -> None:
    product = get_product(session, client=client, id=id)
    if session.execute(select(exists().where(OrderItem.product_id == product.id))).scalar_one():  # type: ignore[arg-type]
        raise Conflict(f"Product {id} is named by orders; it is kept for them.", code="product_has_orders")
    session.delete(product)
    session.flush()


def list_products(session: Session, *, client: str, offset: int, limit: int) -> Sequence[Product]:
    query = select(Product).where(Product.client == client).order_by(Product.id).offset(offset).limit(limit)  # type: ignore[arg-type]
    return session.execute(query).scalars().all()


def count_products(session: Session, *, client: str) -> int:
    return session.execute(select(func.count()).where(Product.client == client)).scalar_one()


def bounds_problem(fields: dict[str, Any]) -> str | None:
    """Why the price bounds do not hold together, or None (shared with the product file's rows)."""
    if fields["min_price_cents"] > fields["max_price_cents"]:
        return f"min_price_cents ({fields['min_price_cents']}) is above max_price_cents ({fields['max_price_cents']})"
    return None


def check_bounds(fields: dict[str, Any]) -> None:
    problem = bounds_problem(fields)
    if problem:
        raise invalid("min_price_cents", problem.removeprefix("min_price_cents "))


def _check_sku_free(session: Session, *, client: str, sku: str, product_id: int | None) -> None:
    found = session.execute(
        select(Product.id).where(Product.client == client, Product.sku == sku)  # type: ignore[arg-type]
    ).scalar_one_or_none()
    if found is not None and found != product_id:
        raise _duplicate(sku)


def _flush(session: Session, sku: str) -> None:
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent create of the same SKU
        raise _duplicate(sku) from exc


def _duplicate(sku: str) -> Conflict:
    return Conflict(f"You already have a product with SKU {sku!r}.", code="duplicate_sku")
