"""The order life cycle: new → accepted → shipped → delivered, or cancelled before delivery.

Stock follows: it is taken when the order is recorded and given back when it is cancelled
(orders.py). A delivered or cancelled order is final.
"""

from marketplace.models import OrderStatus

NEXT: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.NEW: frozenset({OrderStatus.ACCEPTED, OrderStatus.CANCELLED}),
    OrderStatus.ACCEPTED: frozenset({OrderStatus.SHIPPED, OrderStatus.CANCELLED}),
    OrderStatus.SHIPPED: frozenset({OrderStatus.DELIVERED, OrderStatus.CANCELLED}),
    OrderStatus.DELIVERED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
}


def can_move(current: OrderStatus, target: OrderStatus) -> bool:
    return target in NEXT[current]


# The marketplace's order states (Kaspi's `state`, and `status` for cancellations) in ours, for an
# order seen for the first time by a sync.
MARKETPLACE_STATES: dict[str, OrderStatus] = {
    "NEW": OrderStatus.NEW,
    "SIGN_REQUIRED": OrderStatus.NEW,
    "PICKUP": OrderStatus.ACCEPTED,
    "DELIVERY": OrderStatus.ACCEPTED,
    "KASPI_DELIVERY": OrderStatus.ACCEPTED,
    "ARCHIVE": OrderStatus.DELIVERED,
}
CANCELLED_STATUSES = frozenset({"CANCELLED", "CANCELLING", "RETURNED", "KASPI_DELIVERY_RETURN_REQUESTED"})


def from_marketplace(state: str | None, status: str | None) -> OrderStatus:
    if status in CANCELLED_STATUSES:
        return OrderStatus.CANCELLED
    return MARKETPLACE_STATES.get(state or "", OrderStatus.NEW)
