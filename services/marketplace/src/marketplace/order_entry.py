"""`POST /marketplace/orders`: an order created through our API, checked against the caller's
catalogue (store, sales point and SKUs are the caller's, else 422 naming the field)."""

from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from marketplace import orders
from marketplace.models import CustomerOrder, OrderSource, Product, SalesPoint, Store
from marketplace.schemas_orders import OrderCreate
from quintet_shared.rows import invalid, owned_in_body


def create_order(
    session: Session, *, client: str, data: OrderCreate, currency: str, now: datetime, request_id: str | None
) -> CustomerOrder:
    store = owned_in_body(session, Store, client=client, id=data.store_id, field="store_id", what="store")
    if data.sales_point_id is not None:
        point = owned_in_body(
            session, SalesPoint, client=client, id=data.sales_point_id, field="sales_point_id", what="sales point"
        )
        if point.store_id != store.id:
            raise invalid("sales_point_id", f"is not a sales point of store {store.id}")
    skus = {item.sku for item in data.items}
    products = {
        product.sku: product
        for product in session.execute(
            select(Product).where(Product.client == client, Product.sku.in_(skus))  # type: ignore[arg-type,attr-defined]
        ).scalars()
    }
    items = []
    for index, item in enumerate(data.items):
        product = products.get(item.sku)
        if product is None:
            raise invalid(f"items.{index}.sku", f"is not one of your products' SKUs ({item.sku!r})")
        price = item.price_cents if item.price_cents is not None else product.price_cents
        items.append(orders.NewItem(item.sku, product.name, item.quantity, price, product.id))
    new = orders.NewOrder(
        store=store,
        source=OrderSource.API,
        customer_name=data.customer.name,
        customer_email=data.customer.email,
        items=items,
        placed_at=now,
        currency=currency,
        sales_point_id=data.sales_point_id,
    )
    return orders.record_order(session, new, now=now, request_id=request_id)
