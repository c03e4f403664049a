"""Profiles (PUT creates or replaces) and promos (CRUD, validated as a whole on PATCH), on SQLite and
PostgreSQL."""

from typing import Any
from urllib.parse import quote


def test_a_profile_is_created_then_replaced_whole(api: Any, shop: dict[str, Any]) -> None:
    body = {"email": "ana@example.com", "latitude": 0, "longitude": -0.0, "segments": ["New users", "Frequent buyers"]}
    created = api.put("/promotions/profiles/ana", body)
    assert created.status_code == 201, created.text
    profile = created.json()
    assert (profile["user"], profile["latitude"], profile["longitude"]) == ("ana", 0, 0)
    assert profile["segments"] == ["Frequent buyers", "New users"]
    assert api.get("/promotions/profiles/ana").json() == profile

    replaced = api.put("/promotions/profiles/ana", {"segments": ["New users"]})
    assert replaced.status_code == 200
    assert {k: replaced.json()[k] for k in ("email", "latitude", "longitude", "segments")} == {
        "email": None,
        "latitude": None,
        "longitude": None,
        "segments": ["New users"],
    }
    assert api.delete("/promotions/profiles/ana").status_code == 204
    assert api.get("/promotions/profiles/ana").status_code == 404
    assert api.delete("/promotions/profiles/ana").status_code == 404


def test_profiles_are_listed_by_user_in_pages(api: Any, shop: dict[str, Any]) -> None:
    for user in ("carol", "alice", "bob"):
        api.put(f"/promotions/profiles/{user}", {"segments": ["New users"]})
    page = api.get("/promotions/profiles?page_size=2").json()
    assert page["count"] == 3 and [p["user"] for p in page["results"]] == ["alice", "bob"]
    assert all(p["segments"] == ["New users"] for p in page["results"])
    assert [p["user"] for p in api.get("/promotions/profiles?page=2&page_size=2").json()["results"]] == ["carol"]


def test_a_user_reference_is_any_text(api: Any, shop: dict[str, Any]) -> None:
    for user in ("user@example.com", "42", "ユーザー", "a b", "shop/7", "a/b/"):
        target = f"/promotions/profiles/{quote(user, safe='')}"  # a CSV import takes any of them
        assert api.put(target, {}).status_code == 201, user
        assert api.get(target).json()["user"] == user
        assert api.delete(target).status_code == 204, user


def test_a_promo_is_created_read_changed_and_deleted(api: Any, shop: dict[str, Any], promo_body: Any) -> None:
    body = promo_body(
        shop["product"]["id"], segments=["New users", "Frequent buyers"], starts_at="2026-03-02T12:00:00+03:00"
    )
    promo = api.created("/promotions/promos", body)
    assert promo["starts_at"] == "2026-03-02T09:00:00Z" and promo["ends_at"] == "2026-03-02T12:00:00Z"
    assert (promo["radius_km"], promo["units"], promo["per_user_limit"], promo["active"]) == (2.0, 1, 1, True)
    assert (promo["store_id"], promo["regular_price_cents"], promo["currency"]) == (
        shop["store"]["id"],
        100_000,
        "KZT",
    )
    assert promo["segments"] == ["Frequent buyers", "New users"]
    assert api.get(f"/promotions/promos/{promo['id']}").json() == promo

    changed = api.patch(
        f"/promotions/promos/{promo['id']}",
        {
            "segments": ["Frequent buyers"],
            "radius_km": 0.5,
            "units": 100,
            "active": False,
            "ends_at": "2026-03-03T00:00:00Z",
        },
    )
    assert changed.status_code == 200, changed.text
    assert {k: changed.json()[k] for k in ("segments", "radius_km", "units", "active", "ends_at")} == {
        "segments": ["Frequent buyers"],
        "radius_km": 0.5,
        "units": 100,
        "active": False,
        "ends_at": "2026-03-03T00:00:00Z",
    }
    listed = api.get("/promotions/promos").json()
    assert listed["count"] == 1 and listed["results"][0]["id"] == promo["id"]
    assert api.delete(f"/promotions/promos/{promo['id']}").status_code == 204
    assert api.get(f"/promotions/promos/{promo['id']}").status_code == 404


def test_a_patch_is_validated_against_the_promo_it_would_make(api: Any, shop: dict[str, Any], new_promo: Any) -> None:
    promo = new_promo()
    target = f"/promotions/promos/{promo['id']}"
    cases = [
        ({"ends_at": "2026-03-02T09:00:00Z"}, "ends_at"),  # equal to starts_at
        ({"starts_at": "2026-03-02T13:00:00Z"}, "ends_at"),  # after the kept ends_at
        ({"promo_price_cents": 100_000}, "promo_price_cents"),  # equal to the regular price
        ({"segments": ["Nobody"]}, "segments"),
        ({"segments": []}, "segments"),
        ({"product_id": 999}, "product_id"),
        ({"radius_km": 0}, "radius_km"),
        ({"units": None}, "units"),
    ]
    for body, field in cases:
        refused = api.patch(target, body)
        assert refused.status_code == 422, (body, refused.text)
        assert refused.json()["errors"][0]["loc"][-1] == field, (body, refused.json())
    assert api.get(target).json() == promo


def test_a_cheaper_product_keeps_its_promos_below_its_price(api: Any, shop: dict[str, Any], new_promo: Any) -> None:
    new_promo(promo_price_cents=59_900)
    product = f"/promotions/products/{shop['product']['id']}"
    refused = api.patch(product, {"regular_price_cents": 59_900})
    assert refused.status_code == 422 and refused.json()["errors"][0]["loc"] == ["body", "regular_price_cents"]
    assert api.patch(product, {"regular_price_cents": 60_000}).status_code == 200
    api.clock.set(api.clock.now.replace(hour=13))  # the promo has ended: history does not block a price
    assert api.patch(product, {"regular_price_cents": 100}).status_code == 200


def test_a_promo_moved_to_another_product_is_checked_against_its_price(
    api: Any, shop: dict[str, Any], new_promo: Any
) -> None:
    promo = new_promo(promo_price_cents=50_000)
    cheap = api.created(
        "/promotions/products",
        {"store_id": shop["store"]["id"], "name": "Cable", "regular_price_cents": 1_000, "currency": "KZT"},
    )
    refused = api.patch(f"/promotions/promos/{promo['id']}", {"product_id": cheap["id"]})
    assert refused.status_code == 422 and refused.json()["errors"][0]["loc"] == ["body", "promo_price_cents"]
    moved = api.patch(f"/promotions/promos/{promo['id']}", {"product_id": cheap["id"], "promo_price_cents": 900})
    assert moved.status_code == 200 and moved.json()["regular_price_cents"] == 1_000
