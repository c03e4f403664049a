"""The subscriptions API on SQLite and PostgreSQL: forecast points by gid, subscriptions by msisdn
linked to their nearest point, cancelling and a new period, client settings; 422 naming the field,
409 with a code, another client's rows 404."""

from datetime import timedelta
from typing import Any

import pytest

NAIROBI = {"gid": "00042", "latitude": -1.2921, "longitude": 36.8219, "fcat24": "sunny", "fcat48": "rain"}
MOMBASA = {"gid": "042", "latitude": -4.0435, "longitude": 39.6682, "fcat24": "hot", "fcat48": "hot"}
SUBSCRIBER = {"msisdn": "254712345678", "plan": "11", "latitude": -3.9, "longitude": 39.5}


def test_forecast_points_by_gid(api: Any) -> None:
    created = api.created("/subscriptions/forecasts", NAIROBI)
    assert created["gid"] == "00042" and created["fcat48"] == "rain"
    assert api.get("/subscriptions/forecasts/00042").json() == created
    assert api.get("/subscriptions/forecasts/42").status_code == 404
    taken = api.post("/subscriptions/forecasts", NAIROBI)
    assert taken.status_code == 409 and taken.json()["code"] == "gid_taken"
    changed = api.patch("/subscriptions/forecasts/00042", {"fcat24": "cloudy"})
    assert changed.status_code == 200 and changed.json()["fcat24"] == "cloudy"
    api.created("/subscriptions/forecasts", MOMBASA)
    listed = api.get("/subscriptions/forecasts").json()
    assert listed["count"] == 2 and [p["gid"] for p in listed["results"]] == ["00042", "042"]
    assert api.delete("/subscriptions/forecasts/042").status_code == 204
    assert api.get("/subscriptions/forecasts/042").status_code == 404


def test_a_subscription_is_linked_to_its_nearest_point_and_relinked(api: Any) -> None:
    created = api.created("/subscriptions/subscriptions", SUBSCRIBER)
    assert created["forecast_gid"] is None  # no point yet: kept, linked when points arrive
    assert (created["plan"], created["status"], created["next_billing_date"]) == ("daily", "unpaid", "2026-03-02")
    assert created["billing"] == [] and created["sms"] == [] and created["unsubscribed_at"] is None
    api.created("/subscriptions/forecasts", NAIROBI)
    assert api.get("/subscriptions/subscriptions/254712345678").json()["forecast_gid"] == "00042"
    api.created("/subscriptions/forecasts", MOMBASA)
    assert api.get("/subscriptions/subscriptions/254712345678").json()["forecast_gid"] == "042"
    moved = api.patch("/subscriptions/subscriptions/254712345678", {"latitude": -1.3, "longitude": 36.8})
    assert moved.json()["forecast_gid"] == "00042"
    api.patch("/subscriptions/forecasts/042", {"latitude": -1.29, "longitude": 36.8})
    assert api.get("/subscriptions/subscriptions/254712345678").json()["forecast_gid"] == "042"
    api.delete("/subscriptions/forecasts/042")
    assert api.get("/subscriptions/subscriptions/254712345678").json()["forecast_gid"] == "00042"


def test_cancel_and_add_again_starts_a_new_period(api: Any) -> None:
    api.created("/subscriptions/subscriptions", SUBSCRIBER)
    again = api.post("/subscriptions/subscriptions", SUBSCRIBER)
    assert again.status_code == 409 and again.json()["code"] == "msisdn_subscribed"
    assert api.delete("/subscriptions/subscriptions/254712345678").status_code == 204
    cancelled = api.get("/subscriptions/subscriptions/254712345678").json()
    assert (
        cancelled["status"] == "cancelled" and cancelled["unsubscribed_at"] and cancelled["next_billing_date"] is None
    )
    assert api.delete("/subscriptions/subscriptions/254712345678").status_code == 204  # changes nothing
    assert api.get("/subscriptions/subscriptions/254712345678").json() == cancelled
    api.clock.advance(timedelta(days=1))
    renewed = api.created("/subscriptions/subscriptions", {**SUBSCRIBER, "plan": "weekly"})
    assert (renewed["status"], renewed["plan"], renewed["unsubscribed_at"]) == ("unpaid", "weekly", None)
    assert renewed["next_billing_date"] == "2026-03-03" and renewed["subscribed_at"] == "2026-03-03T10:00:00Z"
    by_patch = api.patch("/subscriptions/subscriptions/254712345678", {"status": "cancelled"})
    assert by_patch.status_code == 200 and by_patch.json()["status"] == "cancelled"


def test_lists_filter_by_status_plan_and_msisdn(api: Any) -> None:
    for n, plan in enumerate(["daily", "21", "weekly", "11"]):
        api.created("/subscriptions/subscriptions", {**SUBSCRIBER, "msisdn": f"2547000000{n:02d}", "plan": plan})
    api.delete("/subscriptions/subscriptions/254700000001")

    def msisdns(query: str) -> list[str]:
        page = api.get("/subscriptions/subscriptions" + (f"?{query}" if query else "")).json()
        assert page["count"] == len(page["results"])
        return [row["msisdn"] for row in page["results"]]

    assert msisdns("") == ["254700000000", "254700000001", "254700000002", "254700000003"]
    assert msisdns("plan=weekly") == ["254700000001", "254700000002"]
    assert msisdns("plan=21&status=unpaid") == ["254700000002"]
    assert msisdns("status=cancelled") == ["254700000001"]
    assert msisdns("msisdn=254700000003") == ["254700000003"]
    assert "billing" not in api.get("/subscriptions/subscriptions").json()["results"][0]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"msisdn": "1234567"}, "msisdn"),
        ({"msisdn": "1234567890123456"}, "msisdn"),
        ({"msisdn": "+254712345678"}, "msisdn"),
        ({"msisdn": 254712345678}, "msisdn"),
        ({"plan": "monthly"}, "plan"),
        ({"plan": 11}, "plan"),
        ({"latitude": 91}, "latitude"),
        ({"longitude": -180.5}, "longitude"),
        ({"latitude": "1"}, "latitude"),
        ({"extra": 1}, "extra"),
    ],
)
def test_a_bad_subscription_is_422_naming_the_field(api: Any, change: dict[str, Any], field: str) -> None:
    response = api.post("/subscriptions/subscriptions", {**SUBSCRIBER, **change})
    assert response.status_code == 422, response.text
    assert field in [error["loc"][-1] for error in response.json()["errors"]]


def test_bad_paths_queries_and_forecasts_are_4xx(api: Any) -> None:
    assert api.get("/subscriptions/subscriptions/12ab").status_code == 422
    assert api.get("/subscriptions/subscriptions?plan=yearly").status_code == 422
    assert api.get("/subscriptions/subscriptions?status=paid").status_code == 422
    assert api.post("/subscriptions/forecasts", {**NAIROBI, "gid": ""}).status_code == 422
    assert api.post("/subscriptions/forecasts", {**NAIROBI, "latitude": -90.01}).status_code == 422
    assert api.patch("/subscriptions/forecasts/00042", {"latitude": None}).status_code == 422
    assert api.patch("/subscriptions/subscriptions/254712345678", {"status": "active"}).status_code == 422


def test_another_clients_rows_are_not_found(api: Any) -> None:
    api.created("/subscriptions/forecasts", NAIROBI)
    api.created("/subscriptions/subscriptions", SUBSCRIBER)
    for target in ("/subscriptions/forecasts/00042", "/subscriptions/subscriptions/254712345678"):
        assert api.get(target, client="others").status_code == 404
        assert api.patch(target, {}, client="others").status_code == 404
        assert api.delete(target, client="others").status_code == 404
        assert api.get(target).status_code == 200
    for listing in ("forecasts", "subscriptions"):
        assert api.get(f"/subscriptions/{listing}", client="others").json()["count"] == 0
    other = api.created("/subscriptions/subscriptions", SUBSCRIBER, client="others")
    assert other["forecast_gid"] is None  # the other client's points are not its own


def test_client_settings(api: Any) -> None:
    defaults = api.get("/subscriptions/settings").json()
    assert (defaults["timezone"], defaults["sms_local_time"], defaults["sms_template"]) == ("UTC", "09:00", None)
    assert "callback_token" not in defaults
    body = {"timezone": "Pacific/Kiritimati", "sms_local_time": "07:30", "sms_template": "Today {fcat24}"}
    put = api.put("/subscriptions/settings", body)
    assert put.status_code == 200, put.text
    assert (put.json()["timezone"], put.json()["sms_local_time"]) == ("Pacific/Kiritimati", "07:30")
    # 10:00 UTC on 2 March is 00:00 on 3 March at UTC+14: billing is due on the client's date.
    added = api.created("/subscriptions/subscriptions", SUBSCRIBER)
    assert added["next_billing_date"] == "2026-03-03"
    reset = api.put("/subscriptions/settings", {})
    assert reset.status_code == 200, reset.text
    assert (reset.json()["timezone"], reset.json()["sms_local_time"]) == ("UTC", "09:00")
    for bad in (
        {"timezone": "Mars/Olympus"},
        {"sms_local_time": "25:00"},
        {"sms_local_time": "09:00:00Z"},
        {"sms_template": "{name}"},
    ):
        response = api.put("/subscriptions/settings", bad)
        assert response.status_code == 422, bad
        assert next(iter(bad)) in [error["loc"][-1] for error in response.json()["errors"]]
    assert api.get("/subscriptions/settings", client="others").json()["timezone"] == "UTC"
