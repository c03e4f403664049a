"""CRUD of stores, sales points and products, on SQLite and PostgreSQL: 201 with an id, lists in
pages, PATCH, DELETE, another client's rows 404, duplicates and deletes that would orphan rows 409
with a code; the API token is stored encrypted and never returned; a new price enters the history."""

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from marketplace.models import Store
from marketplace.token_crypto import decrypt_token


def test_a_store_keeps_its_api_token_encrypted_and_never_returns_it(api: Any, shop: dict[str, Any]) -> None:
    store = shop["store"]
    assert store["api_token_set"] is True and "api_token" not in store
    assert store["feed_url"].startswith("http://127.0.0.1:8000/marketplace/public/feeds/")
    assert store["feed_url"].endswith(".xml") and "token-of-m1001" not in str(store)
    with api.engine.connect() as conn:
        encrypted = conn.execute(select(Store.api_token_encrypted)).scalar_one()
    assert "token-of-m1001" not in encrypted
    assert decrypt_token(api.http.app.state.settings.token_key, encrypted) == "token-of-m1001"

    changed = api.patch(f"/marketplace/stores/{store['id']}", {"name": "Almaty North", "api_token": "new-token"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["name"] == "Almaty North" and changed.json()["feed_url"] == store["feed_url"]
    assert api.get("/marketplace/stores").json()["count"] == 1
    assert api.get(f"/marketplace/stores/{store['id']}", client="others").status_code == 404


def test_duplicates_and_deletes_in_use_are_conflicts(api: Any, shop: dict[str, Any]) -> None:
    store, points = shop["store"], shop["points"]
    again = api.post("/marketplace/stores", {"name": "X", "merchant_id": "M-1001", "city_id": "1"})
    assert (again.status_code, again.json()["code"]) == (409, "duplicate_merchant_id")
    same_name = api.post("/marketplace/sales-points", {"store_id": store["id"], "name": "PP1"})
    assert (same_name.status_code, same_name.json()["code"]) == (409, "duplicate_name")
    same_sku = api.post("/marketplace/products", {"sku": "PHONE-1", "name": "Other", "price_cents": 100})
    assert (same_sku.status_code, same_sku.json()["code"]) == (409, "duplicate_sku")

    in_use = api.delete(f"/marketplace/stores/{store['id']}")
    assert (in_use.status_code, in_use.json()["code"]) == (409, "store_in_use")
    stocked = api.delete(f"/marketplace/sales-points/{points[0]['id']}")
    assert (stocked.status_code, stocked.json()["code"]) == (409, "sales_point_in_use")

    product = shop["product"]
    assert api.delete(f"/marketplace/products/{product['id']}").status_code == 204
    for point in points:
        assert api.delete(f"/marketplace/sales-points/{point['id']}").status_code == 204
    assert api.delete(f"/marketplace/stores/{store['id']}").status_code == 204
    assert api.get("/marketplace/stores").json()["count"] == 0


def test_a_sales_point_belongs_to_one_of_the_callers_stores(api: Any, shop: dict[str, Any]) -> None:
    other = api.created(
        "/marketplace/stores", {"name": "Theirs", "merchant_id": "M-9", "city_id": "1"}, client="others"
    )
    refused = api.post("/marketplace/sales-points", {"store_id": other["id"], "name": "PP9"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["loc"] == ["body", "store_id"]
    listed = api.get(f"/marketplace/sales-points?store_id={shop['store']['id']}&page_size=1").json()
    assert listed["count"] == 2 and len(listed["results"]) == 1 and listed["next"]


def test_a_product_has_stock_per_sales_point_and_bounds_that_hold(api: Any, shop: dict[str, Any]) -> None:
    product, points = shop["product"], shop["points"]
    assert product["stock"] == {str(points[0]["id"]): 5, str(points[1]["id"]): 3}
    assert api.get(f"/marketplace/products/{product['id']}").json() == product

    restocked = api.patch(f"/marketplace/products/{product['id']}", {"stock": {str(points[1]["id"]): 0}})
    assert restocked.json()["stock"] == {str(points[0]["id"]): 5}

    above = api.patch(f"/marketplace/products/{product['id']}", {"min_price_cents": 13_000_000})
    assert above.status_code == 422 and above.json()["errors"][0]["loc"] == ["body", "min_price_cents"]
    negative = api.post("/marketplace/products", {"sku": "N", "name": "N", "price_cents": -1})
    assert negative.status_code == 422
    theirs = api.created("/marketplace/stores", {"name": "T", "merchant_id": "M-8", "city_id": "1"}, client="others")
    point = api.created("/marketplace/sales-points", {"store_id": theirs["id"], "name": "P"}, client="others")
    foreign = api.post(
        "/marketplace/products", {"sku": "F", "name": "F", "price_cents": 5, "stock": {str(point["id"]): 1}}
    )
    assert foreign.status_code == 422 and foreign.json()["errors"][0]["loc"] == ["body", "stock"]

    plain = api.created("/marketplace/products", {"sku": "CASE-1", "name": "Case", "price_cents": 500_000})
    assert (plain["min_price_cents"], plain["max_price_cents"], plain["step_cents"]) == (500_000, 500_000, 100)
    assert plain["repricing"] is False and plain["stock"] == {}


def test_a_price_changed_through_the_api_enters_the_history(api: Any, shop: dict[str, Any]) -> None:
    product = shop["product"]
    assert api.get(f"/marketplace/products/{product['id']}/price-history").json()["count"] == 0
    api.clock.advance(timedelta(minutes=1))
    assert api.patch(f"/marketplace/products/{product['id']}", {"price_cents": 9_500_000}).status_code == 200
    api.patch(f"/marketplace/products/{product['id']}", {"name": "Phone X"})  # no price change: no entry
    history = api.get(f"/marketplace/products/{product['id']}/price-history").json()
    assert history["count"] == 1
    entry = history["results"][0]
    assert (entry["source"], entry["old_price_cents"], entry["new_price_cents"]) == ("manual", 10_000_000, 9_500_000)
    assert entry["applied"] is True and entry["rule"] is None

    offers = api.get(f"/marketplace/products/{product['id']}/offers").json()
    assert offers == {"product_id": product["id"], "fetched_at": None, "total": 0, "offers": []}
    assert api.get(f"/marketplace/products/{product['id']}/offers", client="others").status_code == 404
