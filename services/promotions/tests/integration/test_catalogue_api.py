"""CRUD of stores, products and segments, on SQLite and PostgreSQL: 201 with an id, lists in pages,
PATCH, DELETE, another client's rows 404, duplicate segment names and deletes that would orphan rows
409 with a code."""

from typing import Any


def test_a_store_is_created_read_listed_changed_and_deleted(api: Any) -> None:
    created = api.created(
        "/promotions/stores", {"name": "Null Island", "latitude": 0, "longitude": 0, "timezone": "UTC"}
    )
    assert created["id"] >= 1 and (created["latitude"], created["longitude"]) == (0, 0)
    assert api.get(f"/promotions/stores/{created['id']}").json() == created

    changed = api.patch(f"/promotions/stores/{created['id']}", {"name": "Null Island East", "longitude": 0.5})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["name"], changed.json()["longitude"], changed.json()["latitude"]) == (
        "Null Island East",
        0.5,
        0,
    )

    listed = api.get("/promotions/stores").json()
    assert listed["count"] == 1 and listed["results"][0]["name"] == "Null Island East"

    assert api.delete(f"/promotions/stores/{created['id']}").status_code == 204
    assert api.get(f"/promotions/stores/{created['id']}").status_code == 404
    assert api.delete(f"/promotions/stores/{created['id']}").status_code == 404


def test_lists_come_in_pages(api: Any) -> None:
    for n in range(5):
        api.created("/promotions/segments", {"name": f"segment {n}"})
    first = api.get("/promotions/segments?page_size=2").json()
    assert first["count"] == 5 and [s["name"] for s in first["results"]] == ["segment 0", "segment 1"]
    assert first["previous"] is None and first["next"] == "/promotions/segments?page=2&page_size=2"
    last = api.get("/promotions/segments?page=3&page_size=2").json()
    assert [s["name"] for s in last["results"]] == ["segment 4"] and last["next"] is None
    beyond = api.get("/promotions/segments?page=9&page_size=2").json()
    assert beyond["results"] == [] and beyond["count"] == 5


def test_a_product_belongs_to_one_of_the_callers_stores(api: Any, shop: dict[str, Any]) -> None:
    product = shop["product"]
    assert api.get(f"/promotions/products/{product['id']}").json() == product
    other_store = api.created(
        "/promotions/stores", {"name": "Elsewhere", "latitude": 1, "longitude": 1, "timezone": "UTC"}, client="others"
    )
    body = {"store_id": other_store["id"], "name": "X", "regular_price_cents": 100, "currency": "KZT"}
    refused = api.post("/promotions/products", body)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["loc"] == ["body", "store_id"]
    moved = api.patch(f"/promotions/products/{product['id']}", {"store_id": other_store["id"]})
    assert moved.status_code == 422 and moved.json()["errors"][0]["loc"] == ["body", "store_id"]

    renamed = api.patch(f"/promotions/products/{product['id']}", {"name": "Headphones II", "currency": "USD"})
    assert (renamed.json()["name"], renamed.json()["currency"]) == ("Headphones II", "USD")
    assert api.get("/promotions/products").json()["count"] == 1


def test_another_clients_rows_are_not_found(api: Any, shop: dict[str, Any], new_promo: Any) -> None:
    promo = new_promo()
    segment_id = api.get("/promotions/segments").json()["results"][0]["id"]
    api.put("/promotions/profiles/alice", {"segments": ["New users"]})
    rows = [
        f"/promotions/stores/{shop['store']['id']}",
        f"/promotions/products/{shop['product']['id']}",
        f"/promotions/segments/{segment_id}",
        f"/promotions/promos/{promo['id']}",
        "/promotions/profiles/alice",
    ]
    for target in rows:
        assert api.get(target, client="others").status_code == 404, target
        assert api.delete(target, client="others").status_code == 404, target
        assert api.get(target).status_code == 200, target
    for target in rows[:4]:
        assert api.patch(target, {}, client="others").status_code == 404, target
    assert api.get(f"/promotions/promos/{promo['id']}/stats", client="others").status_code == 404
    for listing in ("stores", "products", "segments", "promos", "profiles", "promos/running"):
        assert api.get(f"/promotions/{listing}", client="others").json()["count"] == 0, listing
    assert api.get("/promotions/promos/eligible?user=alice", client="others").status_code == 404


def test_unknown_ids_are_not_found(api: Any) -> None:
    for resource in ("stores", "products", "segments", "promos"):
        for id in ("999", "0", "-1", "99999999999999999999999"):
            for method in ("GET", "DELETE"):
                answer = api.call(method, f"/promotions/{resource}/{id}")
                assert answer.status_code == 404, (method, resource, id, answer.text)
                assert answer.headers["content-type"] == "application/problem+json"
            assert api.patch(f"/promotions/{resource}/{id}", {}).status_code == 404
        assert api.get(f"/promotions/{resource}/abc").status_code == 404  # no route takes it as an id
        assert api.patch(f"/promotions/{resource}/1.5", {}).status_code == 404


def test_a_segment_name_is_unique_per_client(api: Any) -> None:
    first = api.created("/promotions/segments", {"name": "New users"})
    duplicate = api.post("/promotions/segments", {"name": " New users "})
    assert duplicate.status_code == 409 and duplicate.json()["code"] == "duplicate_name"
    assert duplicate.headers["content-type"] == "application/problem+json"
    assert api.created("/promotions/segments", {"name": "New users"}, client="others")["name"] == "New users"
    other = api.created("/promotions/segments", {"name": "Frequent buyers"})
    renamed = api.patch(f"/promotions/segments/{other['id']}", {"name": "New users"})
    assert renamed.status_code == 409 and renamed.json()["code"] == "duplicate_name"
    same = api.patch(f"/promotions/segments/{first['id']}", {"name": "New users", "description": "joined < 30 days"})
    assert same.status_code == 200 and same.json()["description"] == "joined < 30 days"


def test_deletes_that_would_orphan_rows_are_refused_with_a_code(api: Any, shop: dict[str, Any], new_promo: Any) -> None:
    promo = new_promo()
    store, product = shop["store"], shop["product"]
    segments = {s["name"]: s["id"] for s in api.get("/promotions/segments").json()["results"]}
    expected = [
        (f"/promotions/stores/{store['id']}", "store_has_products"),
        (f"/promotions/products/{product['id']}", "product_has_promos"),
        (f"/promotions/segments/{segments['New users']}", "segment_in_use"),
    ]
    for target, code in expected:
        refused = api.delete(target)
        assert refused.status_code == 409 and refused.json()["code"] == code, target
    api.put("/promotions/profiles/bob", {"segments": ["Frequent buyers"]})
    assert api.delete(f"/promotions/segments/{segments['Frequent buyers']}").json()["code"] == "segment_in_use"

    assert api.delete(f"/promotions/promos/{promo['id']}").status_code == 204
    assert api.delete(f"/promotions/segments/{segments['New users']}").status_code == 204
    assert api.delete(f"/promotions/products/{product['id']}").status_code == 204
    assert api.delete(f"/promotions/stores/{store['id']}").status_code == 204
