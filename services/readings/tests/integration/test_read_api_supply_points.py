"""GET /readings/supply-points (pages, counts in one query) and /readings/supply-points/{identifier}
(with its meters), scoped to the caller, on SQLite and PostgreSQL."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlmodel import Session

from quintet_shared.testing.gateway import signed_headers
from readings.component import DEFINITION
from readings.models import Manufacturer, Meter, MeterKind, Reading, SupplyPoint

CREATED = datetime(2023, 12, 1, tzinfo=UTC)
FIRST = datetime(2023, 11, 30, 15, tzinfo=UTC)


def seed(session: Session) -> None:
    """carrots: 0300…8240 with an interval meter (48 half hours, one deleted) and an idle register
    meter; three points without readings; potatoes: one point."""
    point = SupplyPoint(client="carrots", identifier="0300111001601606068240", created_at=CREATED)
    mitsubishi = Manufacturer(name="三菱")
    session.add_all([point, mitsubishi])
    session.flush()
    interval = Meter(
        supply_point_id=point.id, serial="0080-3211", manufacturer_id=mitsubishi.id, kind=MeterKind.INTERVAL
    )
    idle = Meter(supply_point_id=point.id, serial="0040-3211", kind=MeterKind.ACCUMULATION, active=False)
    session.add_all([interval, idle])
    session.flush()
    for n in range(48):
        session.add(
            Reading(
                supply_point_id=point.id,
                meter_id=interval.id,
                read_at=FIRST + timedelta(minutes=30 * n),
                value=Decimal("0.05"),
                interval_minutes=30,
                time_code=n + 1,
                deleted=n == 47,
            )
        )
    for identifier in ["0300111001601606083626", "0300111001601606083625", "0200000000000000000001"]:
        session.add(SupplyPoint(client="carrots", identifier=identifier, created_at=CREATED))
    session.add(SupplyPoint(client="potatoes", identifier="120000003100", created_at=CREATED))
    session.commit()


@pytest.fixture
def api(serve_readings) -> TestClient:
    return serve_readings(seed)


def get(api: TestClient, target: str, client: str = "carrots"):
    secret = DEFINITION.settings().gateway_secret
    return api.get(target, headers=signed_headers(secret, method="GET", target=target, client=client))


def test_supply_points_are_listed_by_identifier_with_counts(api: TestClient) -> None:
    body = get(api, "/readings/supply-points").json()
    assert body["count"] == 4 and body["next"] is None and body["previous"] is None
    assert [p["identifier"] for p in body["results"]] == [
        "0200000000000000000001",
        "0300111001601606068240",
        "0300111001601606083625",
        "0300111001601606083626",
    ]
    assert body["results"][1] == {
        "identifier": "0300111001601606068240",
        "meters": 2,
        "reading_count": 47,  # the deleted one is not counted
        "first_read_at": "2023-11-30T15:00:00Z",
        "last_read_at": "2023-12-01T14:00:00Z",
    }
    assert body["results"][0] == {
        "identifier": "0200000000000000000001",
        "meters": 0,
        "reading_count": 0,
        "first_read_at": None,
        "last_read_at": None,
    }


def test_pages_link_to_each_other(api: TestClient) -> None:
    first = get(api, "/readings/supply-points?page_size=3").json()
    assert first["next"] == "/readings/supply-points?page=2&page_size=3" and first["previous"] is None
    second = get(api, first["next"]).json()
    assert [p["identifier"] for p in second["results"]] == ["0300111001601606083626"]
    assert second["next"] is None and second["previous"] == "/readings/supply-points?page=1&page_size=3"
    assert get(api, "/readings/supply-points?page_size=501").status_code == 422
    assert get(api, "/readings/supply-points?page=0").status_code == 422


def test_a_page_is_one_query_however_many_points(api: TestClient) -> None:
    statements: list[str] = []
    engine = api.app_engine  # type: ignore[attr-defined]
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        assert len(get(api, "/readings/supply-points").json()["results"]) == 4
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert len([s for s in statements if "reading" in s]) == 1  # plus the count of points


def test_a_client_sees_only_its_own_points(api: TestClient) -> None:
    body = get(api, "/readings/supply-points", client="potatoes").json()
    assert [p["identifier"] for p in body["results"]] == ["120000003100"]
    assert get(api, "/readings/supply-points", client="nobody").json()["count"] == 0


def test_detail_lists_meters_with_their_counts(api: TestClient) -> None:
    body = get(api, "/readings/supply-points/0300111001601606068240").json()
    assert body == {
        "identifier": "0300111001601606068240",
        "created_at": "2023-12-01T00:00:00Z",
        "reading_count": 47,
        "deleted_reading_count": 1,
        "first_read_at": "2023-11-30T15:00:00Z",
        "last_read_at": "2023-12-01T14:00:00Z",
        "meters": [
            {"serial": "0040-3211", "manufacturer": None, "kind": "accumulation", "active": False, "reading_count": 0},
            {"serial": "0080-3211", "manufacturer": "三菱", "kind": "interval", "active": True, "reading_count": 47},
        ],
    }


def test_detail_of_an_unknown_or_foreign_point_is_404(api: TestClient) -> None:
    for identifier, client in [("0300111001601606068240", "potatoes"), ("nope", "carrots")]:
        response = get(api, f"/readings/supply-points/{identifier}", client=client)
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
