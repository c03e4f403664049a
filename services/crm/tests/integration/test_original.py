"""The original service's tests, restated against this API (issue 10, acceptance 1): totals, last
visit, segments at their thresholds, and the restaurant, customer and campaign endpoints.

The three tests of campaign runs (run answers 202 and `running`, its events listed, a run creates an
event only for the inactive customer and completes, a second run creates no duplicate) are with the
campaign runs' tests, where `run` is."""

from datetime import timedelta
from typing import Any

Api = Any  # conftest.Api: the crm API called as the gateway would, on a clock that moves when told


def iso(moment: Any) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def visit(api: Api, customer: dict[str, Any], spend_cents: int, days_ago: float | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"spend_cents": spend_cents}
    if days_ago is not None:
        body["visited_at"] = iso(api.clock.now - timedelta(days=days_ago))
    return api.created(f"/crm/customers/{customer['id']}/add_visit", body)


def ids(page: dict[str, Any]) -> set[int]:
    return {row["id"] for row in page["results"]}


# The model's rules


def test_visits_add_up_to_the_total(api: Api, new_customer: Any) -> None:
    customer = new_customer("ana@example.com")
    visit(api, customer, 3000, days_ago=2)
    assert visit(api, customer, 2000, days_ago=1)["total_spend_cents"] == 5000


def test_a_visit_sets_the_last_visit_and_a_later_one_moves_it(api: Api, new_customer: Any) -> None:
    customer = new_customer("ana@example.com")
    assert customer["last_visit_at"] is None
    first = visit(api, customer, 3000, days_ago=2)
    assert first["last_visit_at"] == iso(api.clock.now - timedelta(days=2))
    second = visit(api, customer, 2000, days_ago=1)
    assert second["last_visit_at"] == iso(api.clock.now - timedelta(days=1))


def test_at_30_days_a_35_day_old_visit_is_inactive(api: Api, new_customer: Any) -> None:
    customer = new_customer("old@example.com")
    visit(api, customer, 1000, days_ago=35)
    assert ids(api.ok("/crm/customers/inactive?days=30")) == {customer["id"]}


def test_a_customer_who_never_visited_is_inactive(api: Api, new_customer: Any) -> None:
    customer = new_customer("never@example.com")
    assert ids(api.ok("/crm/customers/inactive?days=30")) == {customer["id"]}


def test_at_30_days_a_5_day_old_visit_is_not_inactive(api: Api, new_customer: Any) -> None:
    customer = new_customer("recent@example.com")
    visit(api, customer, 1000, days_ago=5)
    assert ids(api.ok("/crm/customers/inactive?days=30")) == set()


def test_at_8000_cents_a_10000_spender_is_high(api: Api, new_customer: Any) -> None:
    customer = new_customer("big@example.com")
    visit(api, customer, 10_000)
    assert ids(api.ok("/crm/customers/high_spenders?min_spend_cents=8000")) == {customer["id"]}


def test_at_8000_cents_5000_and_0_spenders_are_not_high(api: Api, new_customer: Any) -> None:
    visit(api, new_customer("small@example.com"), 5000)
    new_customer("nothing@example.com")
    assert ids(api.ok("/crm/customers/high_spenders?min_spend_cents=8000")) == set()


# The API


def test_restaurant_create(api: Api) -> None:
    created = api.created("/crm/restaurants", {"name": "La Bodega", "timezone": "Europe/Madrid"})
    assert {key: created[key] for key in ("name", "timezone", "links")} == {
        "name": "La Bodega",
        "timezone": "Europe/Madrid",
        "links": [],
    }


def test_restaurant_list(api: Api) -> None:
    for name in ("La Bodega", "El Patio"):
        api.created("/crm/restaurants", {"name": name, "timezone": "Europe/Madrid"})
    page = api.ok("/crm/restaurants")
    assert page["count"] == 2
    assert [row["name"] for row in page["results"]] == ["La Bodega", "El Patio"]


def test_restaurant_read(api: Api, restaurant: dict[str, Any]) -> None:
    assert api.ok(f"/crm/restaurants/{restaurant['id']}") == restaurant


def test_customer_create(api: Api, restaurant: dict[str, Any]) -> None:
    body = {"restaurant": restaurant["id"], "email": "Ana@Example.com", "first_name": "Ana", "last_name": "Diaz"}
    created = api.created("/crm/customers", body)
    assert created["email"] == "ana@example.com"
    assert (created["restaurant"], created["total_spend_cents"], created["last_visit_at"]) == (
        restaurant["id"],
        0,
        None,
    )


def test_customer_add_visit(api: Api, new_customer: Any) -> None:
    customer = new_customer("ana@example.com")
    first = api.post(f"/crm/customers/{customer['id']}/add_visit", {"spend_cents": 3000})
    assert first.status_code == 201, first.text
    assert visit(api, customer, 2000)["total_spend_cents"] == 5000
    assert api.ok(f"/crm/customers/{customer['id']}")["total_spend_cents"] == 5000


def test_customer_inactive_endpoint(api: Api, new_customer: Any) -> None:
    old, recent, never = (new_customer(f"{name}@example.com") for name in ("old", "recent", "never"))
    visit(api, old, 1000, days_ago=35)
    visit(api, recent, 1000, days_ago=5)
    page = api.ok("/crm/customers/inactive?days=30")
    assert ids(page) == {old["id"], never["id"]}
    assert page["count"] == 2


def test_customer_high_spenders_endpoint(api: Api, new_customer: Any) -> None:
    big, small = new_customer("big@example.com"), new_customer("small@example.com")
    new_customer("none@example.com")
    visit(api, big, 10_000)
    visit(api, small, 5000)
    assert ids(api.ok("/crm/customers/high_spenders?min_spend_cents=8000")) == {big["id"]}
    assert ids(api.ok("/crm/customers/high_spenders?min_spend_cents=5000")) == {big["id"], small["id"]}  # inclusive


def test_customer_duplicate_email_is_refused(api: Api, restaurant: dict[str, Any], new_customer: Any) -> None:
    new_customer("ana@example.com")
    duplicate = api.post("/crm/customers", {"restaurant": restaurant["id"], "email": "ANA@example.com"})
    assert duplicate.status_code == 409, duplicate.text
    assert duplicate.headers["content-type"] == "application/problem+json"
    assert duplicate.json()["code"] == "duplicate_email"


def test_campaign_create(api: Api, restaurant: dict[str, Any]) -> None:
    body = {
        "restaurant": restaurant["id"],
        "name": "We miss you",
        "segment_type": "inactive",
        "segment_value": 30,
        "message_template": "Hi {first_name}, come back to {restaurant}!",
    }
    created = api.created("/crm/campaigns", body)
    assert created["status"] == "draft"
    assert {key: created[key] for key in body} == body
    assert api.ok(f"/crm/campaigns/{created['id']}") == created
