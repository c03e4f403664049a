"""The crm API's rules beyond the original's tests: totals exact through the visit CRUD, segments in
each restaurant's own time zone, bad input answered 422 (never a 500), one client never seeing
another's rows, and the conflicts with their codes."""

from typing import Any

import pytest

Api = Any  # conftest.Api


def add_visit(api: Api, customer: int, spend_cents: int, at: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"spend_cents": spend_cents}
    if at is not None:
        body["visited_at"] = at
    return api.created(f"/crm/customers/{customer}/add_visit", body)


def customer_of(api: Api, id: int) -> dict[str, Any]:
    return api.ok(f"/crm/customers/{id}")


def test_the_visit_crud_keeps_the_totals_exact(api: Api, new_customer: Any) -> None:
    ana, bea = new_customer("ana@example.com")["id"], new_customer("bea@example.com")["id"]
    first = api.created("/crm/visits", {"customer": ana, "spend_cents": 3000, "visited_at": "2026-03-01T12:00:00Z"})
    second = api.created("/crm/visits", {"customer": ana, "spend_cents": 2000, "visited_at": "2026-02-20T12:00:00Z"})
    assert (customer_of(api, ana)["total_spend_cents"], customer_of(api, ana)["last_visit_at"]) == (
        5000,
        "2026-03-01T12:00:00Z",
    )

    changed = api.patch(f"/crm/visits/{second['id']}", {"spend_cents": 2500})
    assert changed.status_code == 200, changed.text
    assert customer_of(api, ana)["total_spend_cents"] == 5500

    moved = api.patch(f"/crm/visits/{first['id']}", {"customer": bea})
    assert moved.status_code == 200, moved.text
    assert (customer_of(api, ana)["total_spend_cents"], customer_of(api, ana)["last_visit_at"]) == (
        2500,
        "2026-02-20T12:00:00Z",
    )
    assert (customer_of(api, bea)["total_spend_cents"], customer_of(api, bea)["last_visit_at"]) == (
        3000,
        "2026-03-01T12:00:00Z",
    )

    assert api.delete(f"/crm/visits/{second['id']}").status_code == 204
    assert (customer_of(api, ana)["total_spend_cents"], customer_of(api, ana)["last_visit_at"]) == (0, None)
    assert api.ok(f"/crm/visits?customer_id={bea}")["count"] == 1


def test_inactive_counts_from_local_midnight_in_each_restaurants_time_zone(api: Api) -> None:
    """At 2026-03-02T10:00Z a visit at 2026-02-28T22:30Z was on 28 February in Madrid (UTC+1) but on
    1 March in Auckland (UTC+13): inactive for 1 day in Madrid, not in Auckland."""
    madrid = api.created("/crm/restaurants", {"name": "Madrid", "timezone": "Europe/Madrid"})["id"]
    auckland = api.created("/crm/restaurants", {"name": "Auckland", "timezone": "Pacific/Auckland"})["id"]
    in_madrid = api.created("/crm/customers", {"restaurant": madrid, "email": "m@example.com"})["id"]
    in_auckland = api.created("/crm/customers", {"restaurant": auckland, "email": "a@example.com"})["id"]
    for customer in (in_madrid, in_auckland):
        add_visit(api, customer, 1000, "2026-02-28T22:30:00Z")

    inactive = api.ok("/crm/customers/inactive?days=1")
    assert [row["id"] for row in inactive["results"]] == [in_madrid]
    assert api.ok(f"/crm/customers/inactive?days=1&restaurant_id={auckland}")["count"] == 0
    # Madrid's local midnight of 1 March is 2026-02-28T23:00Z: a visit just after it is of 1 March.
    add_visit(api, in_madrid, 1000, "2026-02-28T23:00:00Z")
    assert api.ok("/crm/customers/inactive?days=1")["count"] == 0
    assert api.ok("/crm/customers/inactive?days=0")["count"] == 2  # no visit yet today, anywhere


@pytest.mark.parametrize(
    "target",
    [
        "/crm/customers/inactive?days=abc",
        "/crm/customers/inactive?days=-1",
        "/crm/customers/inactive?days=99999999999999999999",
        "/crm/customers/high_spenders?min_spend_cents=1.5",
        "/crm/customers/high_spenders?min_spend_cents=-5",
        "/crm/customers?restaurant_id=x",
        "/crm/customers?page=0",
        "/crm/visits?customer_id=0",
        "/crm/campaigns?page_size=501",
        "/crm/restaurants?page=abc",
    ],
)
def test_bad_query_parameters_are_422(api: Api, target: str) -> None:
    answer = api.get(target)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["errors"]


@pytest.mark.parametrize(
    ("target", "body", "field"),
    [
        ("/crm/restaurants", {"name": "X", "timezone": "Mars/Olympus"}, "timezone"),
        (
            "/crm/restaurants",
            {"name": "X", "timezone": "UTC", "links": [{"service": "shop", "store_id": "1"}]},
            "links",
        ),
        ("/crm/customers", {"restaurant": "1", "email": "a@example.com"}, "restaurant"),
        ("/crm/customers", {"restaurant": 1, "email": "not-an-email"}, "email"),
        ("/crm/customers", {"restaurant": 1, "email": "a@example.com", "total_spend_cents": 5}, "total_spend_cents"),
        ("/crm/customers/1/add_visit", {"spend_cents": -1}, "spend_cents"),
        ("/crm/customers/1/add_visit", {"spend_cents": 100, "visited_at": "yesterday"}, "visited_at"),
        ("/crm/customers/1/add_visit", {"spend_cents": 100, "visited_at": "2099-01-01T00:00:00Z"}, "visited_at"),
        (
            "/crm/campaigns",
            {"restaurant": 1, "name": "C", "segment_type": "vip", "segment_value": 1, "message_template": ""},
            "segment_type",
        ),
    ],
)
def test_bad_bodies_are_422_naming_the_field(
    api: Api, restaurant: dict[str, Any], new_customer: Any, target: str, body: dict[str, Any], field: str
) -> None:
    new_customer("ana@example.com")  # customer 1 of restaurant 1
    answer = api.post(target, body)
    assert answer.status_code == 422, answer.text
    assert field in str(answer.json()), answer.json()


def campaign(restaurant: int, template: str, **changes: Any) -> dict[str, Any]:
    body = {
        "restaurant": restaurant,
        "name": "Win back",
        "segment_type": "inactive",
        "segment_value": 30,
        "message_template": template,
    }
    return {**body, **changes}


@pytest.mark.parametrize("template", ["Hi {email}", "Hi {0}", "50% off {", "a } b", "{first_name!r}"])
def test_a_template_with_anything_but_the_placeholders_is_refused_at_save(
    api: Api, restaurant: dict[str, Any], template: str
) -> None:
    answer = api.post("/crm/campaigns", campaign(restaurant["id"], template))
    assert answer.status_code == 422, answer.text
    assert "message_template" in str(answer.json()["errors"])
    created = api.created("/crm/campaigns", campaign(restaurant["id"], "Hi {first_name}"))
    patched = api.patch(f"/crm/campaigns/{created['id']}", {"message_template": template})
    assert patched.status_code == 422, patched.text


def test_literal_braces_and_every_placeholder_are_accepted(api: Api, restaurant: dict[str, Any]) -> None:
    template = "{{VIP}} {first_name} {last_name}, {restaurant} misses you }}"
    assert api.created("/crm/campaigns", campaign(restaurant["id"], template))["message_template"] == template


def test_an_inactive_segment_is_at_most_a_century(api: Api, restaurant: dict[str, Any]) -> None:
    answer = api.post("/crm/campaigns", campaign(restaurant["id"], "Hi", segment_value=36_501))
    assert answer.status_code == 422, answer.text
    assert api.created(
        "/crm/campaigns", campaign(restaurant["id"], "Hi", segment_type="high_spenders", segment_value=10**9)
    )


def test_one_client_never_sees_anothers_rows(api: Api, restaurant: dict[str, Any], new_customer: Any) -> None:
    customer = new_customer("ana@example.com")["id"]
    visit = api.created("/crm/visits", {"customer": customer, "spend_cents": 100})["id"]
    owned = api.created("/crm/campaigns", campaign(restaurant["id"], "Hi"))["id"]
    for target in (
        f"/crm/restaurants/{restaurant['id']}",
        f"/crm/customers/{customer}",
        f"/crm/visits/{visit}",
        f"/crm/campaigns/{owned}",
    ):
        assert api.get(target, client="other").status_code == 404
        assert api.delete(target, client="other").status_code == 404
    assert api.post(f"/crm/customers/{customer}/add_visit", {"spend_cents": 1}, client="other").status_code == 404
    for target in ("/crm/restaurants", "/crm/customers", "/crm/visits", "/crm/campaigns", "/crm/customers/inactive"):
        assert api.ok(target, client="other")["count"] == 0
    foreign = api.post("/crm/customers", {"restaurant": restaurant["id"], "email": "x@example.com"}, client="other")
    assert foreign.status_code == 422, foreign.text
    foreign_visit = api.post("/crm/visits", {"customer": customer, "spend_cents": 1}, client="other")
    assert foreign_visit.status_code == 422, foreign_visit.text
    assert customer_of(api, customer)["total_spend_cents"] == 100


def test_conflicts_carry_their_code(api: Api, restaurant: dict[str, Any], new_customer: Any) -> None:
    new_customer("ana@example.com")
    bea = new_customer("bea@example.com")["id"]
    renamed = api.patch(f"/crm/customers/{bea}", {"email": "ANA@example.com"})
    assert (renamed.status_code, renamed.json().get("code")) == (409, "duplicate_email")

    in_use = api.delete(f"/crm/restaurants/{restaurant['id']}")
    assert (in_use.status_code, in_use.json().get("code")) == (409, "restaurant_in_use")

    link = {"service": "promotions", "store_id": "12"}
    api.created("/crm/restaurants", {"name": "A", "timezone": "UTC", "links": [link]})
    taken = api.post("/crm/restaurants", {"name": "B", "timezone": "UTC", "links": [link]})
    assert (taken.status_code, taken.json().get("code")) == (409, "store_already_linked")
    # Another client may link its own store 12.
    assert (
        api.post("/crm/restaurants", {"name": "B", "timezone": "UTC", "links": [link]}, client="other").status_code
        == 201
    )


def test_restaurant_links_are_replaced_by_a_patch(api: Api, restaurant: dict[str, Any]) -> None:
    links = [{"service": "marketplace", "store_id": "77"}, {"service": "promotions", "store_id": "12"}]
    patched = api.patch(f"/crm/restaurants/{restaurant['id']}", {"links": links})
    assert patched.status_code == 200, patched.text
    assert sorted(patched.json()["links"], key=str) == sorted(links, key=str)
    assert api.patch(f"/crm/restaurants/{restaurant['id']}", {"links": []}).json()["links"] == []
    assert api.patch(f"/crm/restaurants/{restaurant['id']}", {"name": None}).status_code == 422


def test_lists_are_paginated(api: Api, new_customer: Any) -> None:
    for n in range(5):
        new_customer(f"c{n}@example.com")
    page = api.ok("/crm/customers?page=2&page_size=2")
    assert (page["count"], len(page["results"])) == (5, 2)
    assert page["next"].endswith("page=3&page_size=2") and page["previous"].endswith("page=1&page_size=2")
