"""POST /subscriptions/.../files and the `import_csv` job, on SQLite and PostgreSQL: forecasts and
subscribers land as the rows say, linked to their nearest point; a file sent again changes nothing."""

from datetime import timedelta
from typing import Any

import pytest

from quintet_shared.jobs import JobOutcome
from subscriptions import csv_import

FORECASTS = "gid,lat,lon,fcat24,fcat48\n"
ADDITIONS = "msisdn,ts,lat,lon,original_sub_plan\n"
CANCELLATIONS = "msisdn,ts\n"
UPDATES = "msisdn,ts,lat,lon\n"


def counts(outcome: JobOutcome, *names: str) -> tuple[Any, ...]:
    return tuple(outcome.result[name] for name in names)


# NOW is 2026-03-02 10:00 UTC; client `iska` is in Africa/Nairobi (UTC+3) unless a test says otherwise.
NAIROBI = {"timezone": "Africa/Nairobi", "sms_local_time": "09:00"}
POINTS = FORECASTS + "001,-1.2921,36.8219,Sunny,Rain\n002,-4.0435,39.6682,Cloudy,Sunny\n"


def test_forecasts_then_additions_link_each_subscriber_to_its_nearest_point(api: Any, files: Any) -> None:
    assert api.put("/subscriptions/settings", NAIROBI).status_code == 200
    outcome = files.imported("forecasts", POINTS)
    assert not outcome.failed and outcome.errors == []
    assert counts(outcome, "status", "rows", "created", "updated", "unchanged") == ("IMPORTED", 2, 2, 0, 0)
    outcome = files.imported(
        "additions",
        ADDITIONS + "254700000001,2026-03-02 12:30:00,-1.30,36.80,11\n254700000002,2026-03-01 08:00:00,-4.0,39.6,21\n",
    )
    assert not outcome.failed and outcome.errors == [], outcome.errors
    assert counts(outcome, "status", "rows", "added", "added_again", "unchanged") == ("IMPORTED", 2, 2, 0, 0)
    first = files.subscription("254700000001")
    assert (first["plan"], first["status"], first["forecast_gid"]) == ("daily", "unpaid", "001")
    assert first["subscribed_at"] == "2026-03-02T09:30:00Z"  # 12:30 in Nairobi
    assert first["next_billing_date"] == "2026-03-02"
    second = files.subscription("254700000002")
    assert (second["plan"], second["forecast_gid"]) == ("weekly", "002")
    assert second["next_billing_date"] == "2026-03-02"  # added yesterday: billed from today, never for a past day


def test_columns_in_any_order_with_service_id_and_plan_names(api: Any, files: Any) -> None:
    files.imported("forecasts", "fcat48,FCAT24, lon ,lat,gid,extra\nRain,Sunny,36.8,-1.3,7,x\n")
    outcome = files.imported(
        "additions", "\ufefflat,lon,service_id,ts,msisdn\n-1.3,36.8,weekly,2026-03-02 09:00:00,2547000000099\n"
    )
    assert outcome.errors == [] and outcome.result["added"] == 1
    row = files.subscription("2547000000099")
    assert (row["plan"], row["forecast_gid"]) == ("weekly", "7")


def test_a_file_sent_twice_changes_nothing(api: Any, files: Any) -> None:
    sent = [
        ("forecasts", POINTS),
        ("additions", ADDITIONS + "254700000001,2026-03-02 09:00:00,-1.3,36.8,11\n"),
        ("updates", UPDATES + "254700000001,2026-03-02 10:00:00,-4.0,39.6\n"),
        ("cancellations", CANCELLATIONS + "254700000001,2026-03-02 11:00:00\n"),
    ]
    for kind, content in sent:
        files.imported(kind, content)
    before = files.everything()
    api.clock.advance(timedelta(minutes=5))
    for kind, content in sent:
        outcome = files.imported(kind, content)
        assert outcome.result["unchanged"] == outcome.result["rows"], (kind, outcome.result)
        assert outcome.result.get("relinked", 0) == 0
    assert files.everything() == before  # updated_at included: nothing was rewritten


def test_a_forecast_upload_relinks_the_subscribers_it_moves_and_links_those_without_a_point(
    api: Any, files: Any
) -> None:
    outcome = files.imported(
        "additions",
        ADDITIONS + "254700000001,2026-03-02 09:00:00,-1.3,36.8,11\n254700000002,2026-03-02 09:00:00,-4.0,39.6,11\n",
    )
    assert outcome.result["added"] == 2  # no forecast point yet: kept, unlinked
    assert files.subscription("254700000001")["forecast_gid"] is None
    outcome = files.imported("forecasts", FORECASTS + "001,-1.2921,36.8219,Sunny,Rain\n")
    assert counts(outcome, "created", "relinked") == (1, 2)
    assert files.subscription("254700000002")["forecast_gid"] == "001"
    outcome = files.imported("forecasts", FORECASTS + "002,-4.0435,39.6682,Cloudy,Sunny\n")
    assert counts(outcome, "created", "relinked") == (1, 1)  # only the one nearer to 002 moves
    assert files.subscription("254700000002")["forecast_gid"] == "002"
    outcome = files.imported("forecasts", FORECASTS + "002,-1.30,36.80,Cloudy,Sunny\n")  # 002 moves next to 001
    assert counts(outcome, "updated", "relinked") == (1, 2)
    assert files.subscription("254700000001")["forecast_gid"] == "002"
    assert files.subscription("254700000002")["forecast_gid"] == "001"
    outcome = files.imported("forecasts", FORECASTS + "001,-1.2921,36.8219,Hot,Rain\n")  # texts only: no relink
    assert counts(outcome, "updated", "relinked") == (1, 0)
    assert files.everything()[0]["001"]["fcat24"] == "Hot"


def test_a_cancelled_msisdn_added_again_starts_a_new_period(api: Any, files: Any) -> None:
    files.imported("forecasts", POINTS)
    files.imported("additions", ADDITIONS + "254700000001,2026-03-01 09:00:00,-1.3,36.8,11\n")
    outcome = files.imported("cancellations", CANCELLATIONS + "254700000001,2026-03-01 18:00:00\n")
    assert outcome.result["cancelled"] == 1
    cancelled = files.subscription("254700000001")
    assert cancelled["status"] == "cancelled" and cancelled["next_billing_date"] is None
    assert cancelled["unsubscribed_at"] == "2026-03-01T18:00:00Z"
    # The first addition again: older than the cancellation, so nothing.
    assert (
        files.imported("additions", ADDITIONS + "254700000001,2026-03-01 09:00:00,-1.3,36.8,11\n").result["unchanged"]
        == 1
    )
    outcome = files.imported("additions", ADDITIONS + "254700000001,2026-03-02 08:00:00,-4.0,39.6,21\n")
    assert counts(outcome, "added", "added_again") == (0, 1)
    again = files.subscription("254700000001")
    assert (again["status"], again["plan"], again["forecast_gid"]) == ("unpaid", "weekly", "002")
    assert again["subscribed_at"] == "2026-03-02T08:00:00Z" and again["unsubscribed_at"] is None
    assert again["next_billing_date"] == "2026-03-02"
    # The old cancellation sent again predates the new period: it changes nothing.
    assert (
        files.imported("cancellations", CANCELLATIONS + "254700000001,2026-03-01 18:00:00\n").result["unchanged"] == 1
    )
    assert files.subscription("254700000001")["status"] == "unpaid"


def test_updates_move_the_subscriber_keep_its_subscription_date_and_never_go_back(api: Any, files: Any) -> None:
    files.imported("forecasts", POINTS)
    files.imported("additions", ADDITIONS + "254700000001,2026-03-01 09:00:00,-1.3,36.8,11\n")
    outcome = files.imported("updates", UPDATES + "254700000001,2026-03-02 09:00:00,-4.0,39.6\n")
    assert outcome.result["updated"] == 1
    moved = files.subscription("254700000001")
    assert (moved["latitude"], moved["longitude"], moved["forecast_gid"]) == (-4.0, 39.6, "002")
    assert moved["subscribed_at"] == "2026-03-01T09:00:00Z"
    outcome = files.imported("updates", UPDATES + "254700000001,2026-03-01 12:00:00,-1.3,36.8\n")  # older
    assert counts(outcome, "updated", "unchanged") == (0, 1)
    assert files.subscription("254700000001")["forecast_gid"] == "002"


def test_within_a_file_the_latest_row_of_an_msisdn_wins(api: Any, files: Any) -> None:
    files.imported("forecasts", POINTS)
    outcome = files.imported(
        "additions",
        ADDITIONS
        + "254700000001,2026-03-02 09:00:00,-4.0,39.6,21\n"
        + "254700000001,2026-03-01 09:00:00,-1.3,36.8,11\n",
    )
    assert counts(outcome, "rows", "added", "repeated") == (2, 1, 1)
    assert files.subscription("254700000001")["plan"] == "weekly"


def test_another_clients_subscribers_are_never_touched(api: Any, files: Any) -> None:
    files.imported("additions", ADDITIONS + "254700000001,2026-03-02 09:00:00,-1.3,36.8,11\n", client="other")
    outcome = files.imported("cancellations", CANCELLATIONS + "254700000001,2026-03-02 10:00:00\n")
    assert outcome.result["rejected"] == 1
    assert outcome.errors == [{"line": 2, "message": "no subscription has msisdn 254700000001"}]
    assert files.subscription("254700000001", client="other")["status"] == "unpaid"


@pytest.mark.parametrize("chunk_rows", [50_000, 2])
def test_rows_of_one_msisdn_apply_in_file_order_whatever_the_chunks(
    api: Any, files: Any, monkeypatch: pytest.MonkeyPatch, chunk_rows: int
) -> None:
    monkeypatch.setattr(csv_import, "CHUNK_ROWS", chunk_rows)  # 2: a chunk per two rows, repeats in later ones
    imported = files.imported(
        "additions",
        ADDITIONS
        + "".join(f"25470000000{n},2026-03-02 09:00:00,-1.3,36.8,11\n" for n in range(5))
        + "254700000001,2026-03-02 10:00:00,-1.3,36.8,21\n",  # subscribed already by line 3
    )
    assert counts(imported, "rows", "added", "rejected") == (6, 5, 0)
    imported = files.imported(
        "updates",
        UPDATES
        + "254700000001,2026-03-02 11:00:00,1,1\n"
        + "254700000002,2026-03-02 11:00:00,2,2\n"
        + "254700000003,2026-03-02 11:00:00,3,3\n"
        + "254700000001,2026-03-02 12:00:00,4,4\n"  # later: replaces line 2
        + "254700000002,2026-03-02 10:00:00,5,5\n",  # earlier than line 3: stale
    )
    assert counts(imported, "rows", "rejected") == (5, 0)  # `updated` counts line 5 again when it lands apart
    _, subs = files.everything()
    shown = {msisdn: (sub["plan"], sub["latitude"]) for msisdn, sub in subs.items()}
    assert shown == {
        "254700000000": ("daily", -1.3),
        "254700000001": ("daily", 4),
        "254700000002": ("daily", 2),
        "254700000003": ("daily", 3),
        "254700000004": ("daily", -1.3),
    }
