"""What a flash-promo notification says: one title, body and data per promo, the same for each of
its users, and each message keyed by its notification's id (the provider's idempotency key, so a
notification sent again is delivered once)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from promotions.models import Product, Promo, Store
from promotions.push import PushMessage

MAX_TITLE = 255  # the provider's limit
# ISO 4217 currencies whose minor unit is not the cent: none, or a thousandth.
NO_MINOR_UNIT = frozenset({"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND"})
NO_MINOR_UNIT |= {"VUV", "XAF", "XOF", "XPF"}
THOUSANDTHS = frozenset({"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"})


@dataclass(frozen=True)
class PromoContent:
    title: str
    body: str
    data: dict[str, Any]

    def message(self, *, user: str, notification_id: int) -> PushMessage:
        return PushMessage(
            user=user, title=self.title, body=self.body, data=self.data, key=idempotency_key(notification_id)
        )


def idempotency_key(notification_id: int) -> str:
    return f"notification-{notification_id}"


def promo_content(promo: Promo, product: Product, store: Store) -> PromoContent:
    """ "Flash promo: Headphones at Almaty Central" / "599.00 KZT instead of 1,000.00 KZT, until
    2026-03-02 17:00 (Asia/Almaty)": the end in the store's local time."""
    ends = promo.ends_at.astimezone(store_zone(store.timezone))
    title = f"Flash promo: {product.name} at {store.name}"
    if len(title) > MAX_TITLE:
        title = title[: MAX_TITLE - 1] + "…"
    price, regular = (
        money(promo.promo_price_cents, product.currency),
        money(product.regular_price_cents, product.currency),
    )
    body = f"{price} instead of {regular}, until {ends:%Y-%m-%d %H:%M} ({store.timezone})"
    data = {
        "promo_id": promo.id,
        "product_id": product.id,
        "store_id": store.id,
        "promo_price_cents": promo.promo_price_cents,
        "currency": product.currency,
        "ends_at": _rfc3339(promo.ends_at),
    }
    return PromoContent(title=title, body=body, data=data)


def money(cents: int, currency: str) -> str:
    digits = 0 if currency in NO_MINOR_UNIT else 3 if currency in THOUSANDTHS else 2
    whole, part = divmod(abs(cents), 10**digits)
    amount = f"{whole:,}" + (f".{part:0{digits}d}" if digits else "")
    return f"{'-' if cents < 0 else ''}{amount} {currency}"


def store_zone(name: str) -> ZoneInfo:
    """The store's time zone; UTC for a name this machine's zone data does not know."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _rfc3339(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
