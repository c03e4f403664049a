"""The Flash Promos demo: three stores, twenty products, the segments "New users" and "Frequent
buyers", users around the stores and promos on sale now, for one client.

`seed` writes it through the service's own use cases (the functions behind the API, bodies
validated as the API validates them), in the caller's transaction. It adds only what is missing, so
running it at every start changes nothing the second time: segments, stores and profiles are found
by name, products by store and name; an existing profile is kept as it is (edits survive). When no
promo of the client is running any more (they ended, sold out or were switched off), a fresh set
starts a few minutes before `now` and runs for a few hours, so that a demo started days later still
has something on sale.

Everything is fixed: names, prices, and coordinates derived from each store's location with
`geo.destination` (a bearing and a distance), so that each user's distance to each store is known:
some users are near one store, some between two, some beyond every radius, two have no location.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from promotions import products, profiles, promos, running, segments, stores
from promotions.models import Product, Profile, Segment, Store
from promotions.schemas import ProductCreate, ProfileBody, SegmentCreate, StoreCreate
from promotions.schemas_promos import PromoCreate
from quintet_shared.geo import destination

NEW = "New users"
FREQUENT = "Frequent buyers"
SEGMENTS = {NEW: "Signed up in the last 30 days", FREQUENT: "Four orders or more in the last 30 days"}
TIMEZONE = "Asia/Almaty"
CURRENCY = "KZT"
STARTED_BEFORE = timedelta(minutes=5)  # a fresh set of promos started this long before the seeding
RUNS_FOR = timedelta(hours=4)  # and ends this long after it


@dataclass(frozen=True, slots=True)
class DemoStore:
    name: str
    latitude: float
    longitude: float
    products: tuple[tuple[str, int], ...]  # (name, regular price in tiyn, KZT cents)


# Central Market and Riverside Grocery are 1.4 km apart; Hillside Deli is 2.2 km south of Riverside
# Grocery and 3.1 km from Central Market.
STORES = (
    DemoStore(
        "Central Market",
        43.2567,
        76.9286,
        (
            ("Bananas, 1 kg", 89_000),
            ("Whole milk, 1 l", 65_000),
            ("Rye bread", 42_000),
            ("Free-range eggs, 10", 115_000),
            ("Cheddar, 200 g", 189_000),
            ("Ground coffee, 250 g", 349_000),
            ("Orange juice, 1 l", 99_000),
        ),
    ),
    DemoStore(
        "Riverside Grocery",
        43.2489,
        76.9420,
        (
            ("Apples, 1 kg", 79_000),
            ("Greek yogurt, 500 g", 129_000),
            ("Chicken breast, 1 kg", 299_000),
            ("Basmati rice, 1 kg", 139_000),
            ("Olive oil, 500 ml", 429_000),
            ("Dark chocolate, 100 g", 89_000),
            ("Sparkling water, 1.5 l", 39_000),
        ),
    ),
    DemoStore(
        "Hillside Deli",
        43.2298,
        76.9371,
        (
            ("Croissant", 35_000),
            ("Smoked salmon, 150 g", 399_000),
            ("Parmesan, 200 g", 459_000),
            ("Hummus, 250 g", 119_000),
            ("Sourdough loaf", 149_000),
            ("Green tea, 100 g", 179_000),
        ),
    ),
)


@dataclass(frozen=True, slots=True)
class DemoUser:
    user: str
    segments: tuple[str, ...]
    near: int | None = None  # index in STORES; None: no location
    bearing: float = 0.0  # degrees clockwise from north, from that store
    km: float = 0.0


USERS = (
    DemoUser("alice", (NEW, FREQUENT), 0, 30, 0.3),  # eligible for five promos: the README's walkthrough
    DemoUser("bruno", (NEW,), 0, 120, 0.9),
    DemoUser("chen", (FREQUENT,), 0, 210, 1.6),
    DemoUser("dana", (), 0, 300, 1.2),  # no segment: never eligible
    DemoUser("emil", (FREQUENT,), 0, 300, 3.5),  # beyond every promo's radius
    DemoUser("fatima", (NEW,), 0, 330, 7.0),  # too
    DemoUser("gus", (FREQUENT,), 1, 10, 0.5),
    DemoUser("hana", (NEW,), 1, 100, 1.1),
    DemoUser("ivan", (NEW, FREQUENT), 1, 250, 1.8),
    DemoUser("jia", (FREQUENT,), 1, 80, 2.6),  # inside the 3 km chicken promo, outside the 2 km olive oil one
    DemoUser("kemal", (), 1, 190, 0.7),  # no segment
    DemoUser("lena", (NEW,), 2, 60, 0.2),
    DemoUser("marco", (FREQUENT,), 2, 150, 1.4),
    DemoUser("nadia", (NEW,), 2, 200, 4.2),  # inside the 5 km croissant promo only
    DemoUser("omar", (NEW, FREQUENT), 2, 330, 0.9),
    DemoUser("pilar", (FREQUENT,), 2, 180, 9.0),  # too
    DemoUser("quinn", (NEW,)),  # no location: never eligible
    DemoUser("rosa", (FREQUENT,)),
)


@dataclass(frozen=True, slots=True)
class DemoPromo:
    store: int  # index in STORES
    product: str
    promo_price_cents: int
    segments: tuple[str, ...]
    units: int
    radius_km: float = 2.0
    per_user_limit: int = 1


PROMOS = (
    DemoPromo(0, "Ground coffee, 250 g", 199_000, (FREQUENT,), units=20),
    DemoPromo(0, "Free-range eggs, 10", 69_000, (NEW,), units=10),
    DemoPromo(1, "Olive oil, 500 ml", 249_000, (NEW, FREQUENT), units=5),
    DemoPromo(1, "Chicken breast, 1 kg", 199_000, (FREQUENT,), units=15, radius_km=3.0),
    DemoPromo(2, "Smoked salmon, 150 g", 249_000, (NEW,), units=8),
    DemoPromo(2, "Croissant", 15_000, (NEW, FREQUENT), units=50, radius_km=5.0, per_user_limit=2),
)


@dataclass(frozen=True, slots=True)
class Seeded:
    """Rows `seed` added (0 everywhere: everything was there, and promos are running)."""

    segments: int = 0
    stores: int = 0
    products: int = 0
    profiles: int = 0
    promos: int = 0


def seed(session: Session, *, client: str, now: datetime) -> Seeded:
    """The demo's rows for `client` that are missing, and a fresh set of promos when none runs."""
    added_segments = _segments(session, client=client, now=now)
    store_ids, added_stores = _stores(session, client=client, now=now)
    product_ids, added_products = _products(session, client=client, store_ids=store_ids, now=now)
    added_profiles = _profiles(session, client=client, now=now)
    added_promos = 0
    if running.count_running(session, client=client, now=now) == 0:
        added_promos = _promos(session, client=client, product_ids=product_ids, now=now)
    return Seeded(added_segments, added_stores, added_products, added_profiles, added_promos)


def user_location(user: DemoUser) -> tuple[float, float] | None:
    if user.near is None:
        return None
    store = STORES[user.near]
    latitude, longitude = destination(store.latitude, store.longitude, user.bearing, user.km)
    return round(latitude, 6), round(longitude, 6)


def _segments(session: Session, *, client: str, now: datetime) -> int:
    existing = set(session.execute(select(Segment.name).where(Segment.client == client)).scalars())
    missing = [name for name in SEGMENTS if name not in existing]
    for name in missing:
        data = SegmentCreate.model_validate({"name": name, "description": SEGMENTS[name]})
        segments.create_segment(session, client=client, data=data, now=now)
    return len(missing)


def _stores(session: Session, *, client: str, now: datetime) -> tuple[list[int], int]:
    found = session.execute(select(Store.name, Store.id).where(Store.client == client).order_by(Store.id)).all()
    existing: dict[str, int] = {}
    for name, id in found:
        existing.setdefault(name, id)
    ids, added = [], 0
    for demo in STORES:
        if demo.name not in existing:
            body = {"name": demo.name, "latitude": demo.latitude, "longitude": demo.longitude, "timezone": TIMEZONE}
            store = stores.create_store(session, client=client, data=StoreCreate.model_validate(body), now=now)
            existing[demo.name] = _id(store.id)
            added += 1
        ids.append(existing[demo.name])
    return ids, added


def _products(
    session: Session, *, client: str, store_ids: list[int], now: datetime
) -> tuple[dict[tuple[int, str], int], int]:
    """Product ids by (store index, name)."""
    found = session.execute(
        select(Product.store_id, Product.name, Product.id)
        .where(Product.client == client, Product.store_id.in_(store_ids))  # type: ignore[attr-defined]
        .order_by(Product.id)
    ).all()
    existing: dict[tuple[int, str], int] = {}
    for store_id, name, id in found:
        existing.setdefault((store_id, name), id)
    ids, added = {}, 0
    for index, (demo, store_id) in enumerate(zip(STORES, store_ids, strict=True)):
        for name, price in demo.products:
            if (store_id, name) not in existing:
                body = {"store_id": store_id, "name": name, "regular_price_cents": price, "currency": CURRENCY}
                product = products.create_product(
                    session, client=client, data=ProductCreate.model_validate(body), now=now
                )
                existing[store_id, name] = _id(product.id)
                added += 1
            ids[index, name] = existing[store_id, name]
    return ids, added


def _profiles(session: Session, *, client: str, now: datetime) -> int:
    wanted = [demo.user for demo in USERS]
    existing = set(
        session.execute(select(Profile.user).where(Profile.client == client, Profile.user.in_(wanted))).scalars()  # type: ignore[attr-defined]
    )
    added = 0
    for demo in USERS:
        if demo.user in existing:
            continue
        body: dict[str, Any] = {"email": f"{demo.user}@example.com", "segments": list(demo.segments)}
        location = user_location(demo)
        if location is not None:
            body["latitude"], body["longitude"] = location
        profiles.put_profile(session, client=client, user=demo.user, data=ProfileBody.model_validate(body), now=now)
        added += 1
    return added


def _promos(session: Session, *, client: str, product_ids: dict[tuple[int, str], int], now: datetime) -> int:
    starts_at = (now - STARTED_BEFORE).replace(microsecond=0)
    ends_at = (now + RUNS_FOR).replace(microsecond=0)
    for demo in PROMOS:
        body = {
            "product_id": product_ids[demo.store, demo.product],
            "promo_price_cents": demo.promo_price_cents,
            "starts_at": starts_at.isoformat(),
            "ends_at": ends_at.isoformat(),
            "segments": list(demo.segments),
            "radius_km": demo.radius_km,
            "units": demo.units,
            "per_user_limit": demo.per_user_limit,
        }
        promos.create_promo(session, client=client, data=PromoCreate.model_validate(body), now=now)
    return len(PROMOS)


def _id(id: int | None) -> int:
    assert id is not None  # flushed rows have their id
    return id
