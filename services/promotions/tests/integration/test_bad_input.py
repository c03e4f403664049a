"""Bad input is a 4xx problem+json naming the field, never a 500 and never a half-written row: wrong
types, huge numbers, out-of-range coordinates, unknown references, nulls, NaN, unknown fields."""

import json
from typing import Any

import pytest

HUGE = 10**40
JSON = {"content-type": "application/json"}


def assert_refused(answer: Any, field: str | None, status: int = 422) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    if field is not None:
        fields = [error["loc"][-1] for error in answer.json().get("errors", [])]
        assert field in fields, answer.json()


STORE = {"name": "S", "latitude": 10, "longitude": 20, "timezone": "Europe/Madrid"}
STORE_CASES = [
    ({"latitude": 90.0001}, "latitude"),
    ({"latitude": -91}, "latitude"),
    ({"longitude": 180.5}, "longitude"),
    ({"longitude": -181}, "longitude"),
    ({"latitude": "north"}, "latitude"),
    ({"latitude": None}, "latitude"),
    ({"latitude": HUGE}, "latitude"),
    ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"timezone": "../../etc/passwd"}, "timezone"),
    ({"timezone": ""}, "timezone"),
    ({"timezone": 1}, "timezone"),
    ({"name": ""}, "name"),
    ({"name": "   "}, "name"),
    ({"name": "x" * 201}, "name"),
    ({"colour": "red"}, "colour"),
]


@pytest.mark.parametrize(("change", "field"), STORE_CASES)
def test_bad_stores(api: Any, change: dict[str, Any], field: str) -> None:
    assert_refused(api.post("/promotions/stores", {**STORE, **change}), field)
    assert api.get("/promotions/stores").json()["count"] == 0


def test_nan_and_infinity_are_not_coordinates(api: Any) -> None:
    for text in ("NaN", "Infinity", "-Infinity"):
        body = json.dumps({**STORE, "latitude": 1}).replace('"latitude": 1', f'"latitude": {text}')
        answer = api.call("POST", "/promotions/stores", content=body.encode(), headers=JSON)
        assert_refused(answer, "latitude")


def test_bad_products(api: Any, shop: dict[str, Any]) -> None:
    good = {"store_id": shop["store"]["id"], "name": "P", "regular_price_cents": 1000, "currency": "EUR"}
    cases = [
        ({"regular_price_cents": 0}, "regular_price_cents"),
        ({"regular_price_cents": -5}, "regular_price_cents"),
        ({"regular_price_cents": HUGE}, "regular_price_cents"),
        ({"regular_price_cents": 10.5}, "regular_price_cents"),
        ({"regular_price_cents": "1000"}, "regular_price_cents"),
        ({"regular_price_cents": True}, "regular_price_cents"),
        ({"currency": "eur"}, "currency"),
        ({"currency": "EURO"}, "currency"),
        ({"currency": "€"}, "currency"),
        ({"store_id": 999}, "store_id"),
        ({"store_id": HUGE}, "store_id"),
        ({"store_id": "1"}, "store_id"),
        ({"store_id": None}, "store_id"),
    ]
    for change, field in cases:
        assert_refused(api.post("/promotions/products", {**good, **change}), field)
    assert api.get("/promotions/products").json()["count"] == 1
    target = f"/promotions/products/{shop['product']['id']}"
    for change, field in cases:
        assert_refused(api.patch(target, change), field)
    assert api.get(target).json() == shop["product"]


def test_bad_segments(api: Any) -> None:
    for body, field in [
        ({"name": ""}, "name"),
        ({"name": "a;b"}, "name"),
        ({"name": "tab\there"}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "ok", "description": "x" * 1001}, "description"),
        ({"name": 5}, "name"),
        ({}, "name"),
    ]:
        assert_refused(api.post("/promotions/segments", body), field)
    assert_refused(api.post("/promotions/segments", [1, 2]), None)
    assert_refused(api.call("POST", "/promotions/segments", content=b"{not json", headers=JSON), None)


def test_bad_profiles(api: Any, shop: dict[str, Any]) -> None:
    cases = [
        ({"latitude": 1}, "longitude"),
        ({"longitude": 1}, "latitude"),
        ({"latitude": 95, "longitude": 1}, "latitude"),
        ({"latitude": 1, "longitude": -200}, "longitude"),
        ({"email": "not an email"}, "email"),
        ({"segments": ["New users", "Ghosts", "Aliens"]}, "segments"),
        ({"segments": "New users"}, "segments"),
        ({"segments": ["x"] * 101}, "segments"),
        ({"user": "someone"}, "user"),
    ]
    for body, field in cases:
        assert_refused(api.put("/promotions/profiles/ana", body), field)
    unknown = api.put("/promotions/profiles/ana", {"segments": ["New users", "Ghosts", "Aliens"]})
    assert "Aliens, Ghosts" in unknown.json()["detail"]
    assert api.get("/promotions/profiles").json()["count"] == 0
    assert_refused(api.put("/promotions/profiles/" + "u" * 201, {}), "user")


def test_bad_promos(api: Any, shop: dict[str, Any], promo_body: Any) -> None:
    product_id = shop["product"]["id"]
    cases = [
        ({"radius_km": -1}, "radius_km"),
        ({"radius_km": 0}, "radius_km"),
        ({"radius_km": 30_000}, "radius_km"),
        ({"radius_km": "far"}, "radius_km"),
        ({"promo_price_cents": 100_000}, "promo_price_cents"),  # equal to the regular price
        ({"promo_price_cents": 150_000}, "promo_price_cents"),  # above it
        ({"promo_price_cents": -1}, "promo_price_cents"),
        ({"promo_price_cents": HUGE}, "promo_price_cents"),
        ({"ends_at": "2026-03-02T08:00:00Z"}, "ends_at"),
        ({"ends_at": "2026-03-02T09:00:00Z"}, "ends_at"),
        ({"starts_at": "2026-03-02T09:00:00"}, "starts_at"),  # no offset
        ({"starts_at": "tomorrow"}, "starts_at"),
        ({"starts_at": 1772442000}, "starts_at"),
        ({"starts_at": "0001-01-01T00:00:00+09:00"}, "starts_at"),
        ({"ends_at": "9999-12-31T23:59:59Z"}, "ends_at"),
        ({"segments": []}, "segments"),
        ({"segments": ["Ghosts"]}, "segments"),
        ({"units": 0}, "units"),
        ({"units": HUGE}, "units"),
        ({"units": 2.5}, "units"),
        ({"per_user_limit": 0}, "per_user_limit"),
        ({"active": "yes"}, "active"),
        ({"product_id": 999}, "product_id"),
        ({"product_id": -1}, "product_id"),
        ({"product_id": HUGE}, "product_id"),
    ]
    for change, field in cases:
        assert_refused(api.post("/promotions/promos", promo_body(product_id, **change)), field)
    assert api.get("/promotions/promos").json()["count"] == 0
    promo = api.created("/promotions/promos", promo_body(product_id))
    for change, field in cases:
        assert_refused(api.patch(f"/promotions/promos/{promo['id']}", change), field)
    assert api.get(f"/promotions/promos/{promo['id']}").json() == promo


def test_bad_queries(api: Any) -> None:
    for target, field in [
        ("/promotions/promos?page=0", "page"),
        ("/promotions/promos?page_size=501", "page_size"),
        (f"/promotions/promos?page={HUGE}", "page"),
        ("/promotions/promos/running?page=x", "page"),
        ("/promotions/promos/eligible", "user"),
        ("/promotions/promos/eligible?user=", "user"),
    ]:
        assert_refused(api.get(target), field)
    assert_refused(api.get("/promotions/promos/eligible?user=nobody"), None, status=404)
    assert_refused(api.get("/promotions/promos/abc/stats"), None, status=404)
    for method in ("PATCH", "DELETE"):  # the fixed paths beside /promotions/promos/{id} are read-only
        for fixed in ("running", "eligible"):
            assert_refused(api.call(method, f"/promotions/promos/{fixed}"), None, status=405)


def test_booleans_are_not_numbers(api: Any, shop: dict[str, Any], promo_body: Any) -> None:
    assert_refused(api.post("/promotions/stores", {**STORE, "longitude": False}), "longitude")
    assert_refused(api.put("/promotions/profiles/ana", {"latitude": 0.0, "longitude": False}), "longitude")
    assert_refused(api.post("/promotions/promos", promo_body(shop["product"]["id"], radius_km=True)), "radius_km")
