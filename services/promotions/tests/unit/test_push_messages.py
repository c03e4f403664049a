"""What a flash-promo notification says, and the wait between its rounds."""

from datetime import UTC, datetime, timedelta

from promotions.config import Settings
from promotions.models import Product, Promo, Store
from promotions.notify_delivery import backoff
from promotions.push_messages import MAX_TITLE, money, promo_content

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def shop(product_name: str = "Headphones", currency: str = "KZT") -> tuple[Promo, Product, Store]:
    store = Store(id=3, client="c", name="Almaty Central", latitude=43.2, longitude=76.9, timezone="Asia/Tokyo")
    product = Product(id=2, client="c", store_id=3, name=product_name, regular_price_cents=100_000, currency=currency)
    promo = Promo(
        id=1,
        client="c",
        product_id=2,
        promo_price_cents=59_900,
        starts_at=NOW,
        ends_at=NOW + timedelta(hours=5),
        created_at=NOW,
        updated_at=NOW,
    )
    return promo, product, store


def test_the_message_names_product_store_price_and_local_end() -> None:
    content = promo_content(*shop())
    assert content.title == "Flash promo: Headphones at Almaty Central"
    assert content.body == "599.00 KZT instead of 1,000.00 KZT, until 2026-03-03 00:00 (Asia/Tokyo)"
    assert content.data == {
        "promo_id": 1,
        "product_id": 2,
        "store_id": 3,
        "promo_price_cents": 59_900,
        "currency": "KZT",
        "ends_at": "2026-03-02T15:00:00Z",
    }
    message = content.message(user="ann", notification_id=42)
    assert (message.user, message.key) == ("ann", "notification-42")


def test_a_long_title_is_cut_to_the_providers_limit() -> None:
    title = promo_content(*shop("x" * 300)).title
    assert len(title) == MAX_TITLE and title.endswith("…")


def test_money_in_the_currencys_minor_unit() -> None:
    assert money(59_900, "KZT") == "599.00 KZT"
    assert money(5, "EUR") == "0.05 EUR"
    assert money(1_500, "JPY") == "1,500 JPY"
    assert money(12_345, "KWD") == "12.345 KWD"
    assert money(0, "USD") == "0.00 USD"


def test_rounds_wait_longer_each_time_up_to_an_hour() -> None:
    settings = Settings(notify_retry_seconds=30)
    assert [backoff(settings, n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert backoff(settings, 20) == timedelta(hours=1)
