"""GET /promotions/promos/running and /eligible?user=, and eligible_profiles for the notification
run, on SQLite and PostgreSQL, with the original's distance cases (Acceptance 2): a user about 6 km
away is inside a 10 km radius and outside a 5 km one; a user at the store is inside 0.5 km; a profile
without a location is never eligible; a latitude or longitude of 0 is a location."""

from datetime import timedelta
from typing import Any

from sqlalchemy import and_, exists, select, update
from sqlmodel import Session

from promotions.eligibility import eligible_profiles
from promotions.models import Hold, HoldStatus, Notification, Profile, Promo
from quintet_shared.geo import destination

ALMATY = (43.2380, 76.8829)


def put_profile(api: Any, user: str, at: tuple[float, float] | None, segments: list[str] | None = None) -> None:
    body: dict[str, Any] = {"segments": ["New users"] if segments is None else segments}
    if at is not None:
        body["latitude"], body["longitude"] = at
    assert api.put(f"/promotions/profiles/{user}", body).status_code in (200, 201)


def eligible(api: Any, user: str) -> dict[int, float]:
    answer = api.get(f"/promotions/promos/eligible?user={user}")
    assert answer.status_code == 200, answer.text
    return {item["id"]: item["distance_km"] for item in answer.json()["results"]}


def reached(api: Any, promo_id: int, client: str = "promos") -> dict[str, float]:
    with Session(api.engine) as session:
        return {p.user: p.distance_km for p in eligible_profiles(session, client=client, promo_id=promo_id)}


def test_the_originals_distance_cases(api: Any, shop: dict[str, Any], new_promo: Any) -> None:
    ten, five, half = (new_promo(radius_km=r)["id"] for r in (10, 5, 0.5))
    put_profile(api, "six-km-away", destination(*ALMATY, 30, 6))
    put_profile(api, "at-the-store", ALMATY)
    put_profile(api, "no-location", None)

    six = eligible(api, "six-km-away")
    assert list(six) == [ten] and abs(six[ten] - 6) < 0.001
    assert eligible(api, "at-the-store") == {half: 0.0, five: 0.0, ten: 0.0}
    assert eligible(api, "no-location") == {}

    assert set(reached(api, ten)) == {"six-km-away", "at-the-store"}
    assert set(reached(api, five)) == {"at-the-store"}
    assert reached(api, half) == {"at-the-store": 0.0}


def test_a_latitude_or_longitude_of_zero_is_a_location(api: Any, shop: dict[str, Any], promo_body: Any) -> None:
    store = api.created("/promotions/stores", {"name": "Null Island", "latitude": 0, "longitude": 0, "timezone": "UTC"})
    product = api.created(
        "/promotions/products", {"store_id": store["id"], "name": "Buoy", "regular_price_cents": 500, "currency": "USD"}
    )
    promo = api.created("/promotions/promos", promo_body(product["id"], promo_price_cents=100, radius_km=2))
    put_profile(api, "on-the-equator", (0, 0.01))
    put_profile(api, "on-the-meridian", (-0.01, 0))
    put_profile(api, "at-zero-zero", (0, 0))
    put_profile(api, "far-on-the-equator", (0, 1))
    for user in ("on-the-equator", "on-the-meridian", "at-zero-zero"):
        assert promo["id"] in eligible(api, user), user
    assert promo["id"] not in eligible(api, "far-on-the-equator")
    assert set(reached(api, promo["id"])) == {"on-the-equator", "on-the-meridian", "at-zero-zero"}


def test_across_the_antimeridian_and_near_a_pole(api: Any, shop: dict[str, Any], promo_body: Any) -> None:
    promos = {}
    for name, at in (("Taveuni", (-16.8, 179.99)), ("Alert", (89.99, -62.3))):
        store = api.created(
            "/promotions/stores", {"name": name, "latitude": at[0], "longitude": at[1], "timezone": "UTC"}
        )
        body = {"store_id": store["id"], "name": name, "regular_price_cents": 500, "currency": "USD"}
        product = api.created("/promotions/products", body)
        promos[name] = api.created("/promotions/promos", promo_body(product["id"], promo_price_cents=100, radius_km=5))[
            "id"
        ]
    put_profile(api, "west-of-the-line", (-16.8, -179.99))  # 2.1 km from Taveuni, across the antimeridian
    put_profile(api, "over-the-pole", (89.99, 117.7))  # 2.2 km from Alert, on the other side of the pole
    assert list(eligible(api, "west-of-the-line")) == [promos["Taveuni"]]
    assert list(eligible(api, "over-the-pole")) == [promos["Alert"]]
    assert set(reached(api, promos["Taveuni"])) == {"west-of-the-line"}
    assert set(reached(api, promos["Alert"])) == {"over-the-pole"}


def test_a_segment_in_common_is_needed(api: Any, shop: dict[str, Any], new_promo: Any) -> None:
    promo = new_promo(segments=["Frequent buyers"])
    put_profile(api, "newcomer", ALMATY, ["New users"])
    put_profile(api, "regular", ALMATY, ["New users", "Frequent buyers"])
    put_profile(api, "nobody", ALMATY, [])
    assert eligible(api, "newcomer") == {} and eligible(api, "nobody") == {}
    assert list(eligible(api, "regular")) == [promo["id"]]
    assert set(reached(api, promo["id"])) == {"regular"}


def test_only_running_promos_with_stock_are_listed(api: Any, shop: dict[str, Any], new_promo: Any) -> None:
    now = api.clock.now
    running = new_promo(units=3)
    later = new_promo(starts_at="2026-03-02T11:00:00Z")
    new_promo(starts_at="2026-03-02T08:00:00Z", ends_at="2026-03-02T10:00:00Z")  # ends at NOW: over
    new_promo(active=False)
    sold_out = new_promo(units=2)
    all_held = new_promo(units=1, ends_at="2026-03-02T11:00:00Z")
    with Session(api.engine) as session:
        session.execute(update(Promo).where(Promo.id == sold_out["id"]).values(units_taken=2, units_sold=2))
        session.execute(update(Promo).where(Promo.id == all_held["id"]).values(units_taken=1))
        session.execute(update(Promo).where(Promo.id == running["id"]).values(units_taken=3, units_sold=1))
        session.add_all(
            [
                hold(all_held["id"], "a", now, now + timedelta(seconds=30)),
                hold(running["id"], "b", now, now + timedelta(seconds=30)),  # live
                hold(running["id"], "c", now - timedelta(minutes=2), now - timedelta(minutes=1)),  # expired
            ]
        )
        session.commit()
    listed = api.get("/promotions/promos/running").json()
    assert [(item["id"], item["units"], item["units_left"]) for item in listed["results"]] == [
        (all_held["id"], 1, 0),  # ends first; its only unit is held, not sold
        (running["id"], 3, 1),  # one sold, one held, the expired hold's unit is back
    ]
    assert listed["count"] == 2
    first = listed["results"][0]
    assert (first["product_name"], first["store_name"], first["currency"]) == ("Headphones", "Almaty Central", "KZT")
    put_profile(api, "here", ALMATY)
    assert set(eligible(api, "here")) == {all_held["id"], running["id"]}

    api.clock.advance(timedelta(hours=1, minutes=1))  # 11:01: the promo that was held has ended, `later` started
    assert [item["id"] for item in api.get("/promotions/promos/running").json()["results"]] == [
        running["id"],
        later["id"],
    ]
    assert [item["id"] for item in api.get("/promotions/promos/running", client="others").json()["results"]] == []


def test_eligible_promos_come_nearest_first_in_pages(api: Any, shop: dict[str, Any], promo_body: Any) -> None:
    ids = []
    for km in (3, 1, 2):
        at = destination(*ALMATY, 90, km)
        store = api.created(
            "/promotions/stores", {"name": f"{km} km", "latitude": at[0], "longitude": at[1], "timezone": "UTC"}
        )
        body = {"store_id": store["id"], "name": "P", "regular_price_cents": 500, "currency": "KZT"}
        product = api.created("/promotions/products", body)
        ids.append(
            (km, api.created("/promotions/promos", promo_body(product["id"], promo_price_cents=100, radius_km=5))["id"])
        )
    put_profile(api, "walker", ALMATY)
    first = api.get("/promotions/promos/eligible?user=walker&page_size=2").json()
    assert first["count"] == 3 and [round(i["distance_km"]) for i in first["results"]] == [1, 2]
    assert first["next"] == "/promotions/promos/eligible?user=walker&page=2&page_size=2"
    second = api.get("/promotions/promos/eligible?user=walker&page=2&page_size=2").json()
    assert [i["id"] for i in second["results"]] == [dict(ids)[3]]


def test_eligible_profiles_take_extra_conditions(api: Any, shop: dict[str, Any], new_promo: Any) -> None:
    promo = new_promo()
    for user in ("ana", "ben", "cai"):
        put_profile(api, user, ALMATY)
    with Session(api.engine) as session:
        notified = exists(
            select(Notification.id).where(
                and_(Notification.user == Profile.user, Notification.client == Profile.client)
            )
        )
        session.add(
            Notification(
                client="promos", promo_id=promo["id"], user="ben", day=api.clock.now.date(), created_at=api.clock.now
            )
        )
        session.commit()
        users = [p.user for p in eligible_profiles(session, client="promos", promo_id=promo["id"], extra=[~notified])]
    assert users == ["ana", "cai"]
    assert reached(api, promo["id"], client="others") == {}


def hold(promo_id: int, user: str, created: Any, expires: Any) -> Hold:
    return Hold(
        client="promos", promo_id=promo_id, user=user, status=HoldStatus.HELD, created_at=created, expires_at=expires
    )
