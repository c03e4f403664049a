"""GET /readings/{identifier}/consumption on SQLite and PostgreSQL: periods of the client's zone
(carrots: Asia/Tokyo, whose day starts at 15:00 UTC), interval sums, register apportionment, resets."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from quintet_shared.testing.gateway import signed_headers
from readings.component import DEFINITION
from readings.models import ClientFormat, Meter, MeterKind, Reading, SupplyPoint

INTERVALS = "0300111001601606068240"
REGISTER = "0300111001601606083625"
RESET = "0300111001601606083626"
TOKYO_DEC_1 = datetime(2023, 11, 30, 15, tzinfo=UTC)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def add_point(session: Session, identifier: str, serial: str, kind: MeterKind) -> tuple[int, int]:
    point = SupplyPoint(client="carrots", identifier=identifier, created_at=TOKYO_DEC_1)
    session.add(point)
    session.flush()
    meter = Meter(supply_point_id=point.id, serial=serial, kind=kind)
    session.add(meter)
    session.flush()
    return point.id or 0, meter.id or 0


def seed(session: Session) -> None:
    point, meter = add_point(session, INTERVALS, "0080-3211", MeterKind.INTERVAL)
    # Local 2023-12-01: 48 half hours of 0.01, 0.02, ... 0.48; one on each side of that day; one deleted.
    halves = [(TOKYO_DEC_1 + timedelta(minutes=30 * n), Decimal(n + 1) / 100) for n in range(48)]
    halves += [(at("2023-11-30T14:30:00Z"), Decimal("1.5")), (at("2023-12-01T15:00:00Z"), Decimal("2.25"))]
    for read_at, value in halves:
        session.add(Reading(supply_point_id=point, meter_id=meter, read_at=read_at, value=value, interval_minutes=30))
    deleted = at("2023-12-01T15:30:00Z")
    session.add(
        Reading(supply_point_id=point, meter_id=meter, read_at=deleted, value=99, interval_minutes=30, deleted=True)
    )
    point, meter = add_point(session, REGISTER, "F75A-00804", MeterKind.ACCUMULATION)
    for read_at, value in [
        ("2023-09-30T15:00:00Z", 20131),
        ("2023-10-31T15:00:00Z", 20242),
        ("2023-11-30T15:00:00Z", 20418),
    ]:
        session.add(Reading(supply_point_id=point, meter_id=meter, read_at=at(read_at), value=value, method="S"))
    point, meter = add_point(session, RESET, "0040-3211", MeterKind.ACCUMULATION)
    for day, value in [(1, 10709), (2, 5), (3, 25)]:  # 15:00 UTC: local midnight of the 2nd, 3rd and 4th
        session.add(
            Reading(supply_point_id=point, meter_id=meter, read_at=datetime(2023, 12, day, 15, tzinfo=UTC), value=value)
        )
    session.add(SupplyPoint(client="potatoes", identifier="120000003100", created_at=TOKYO_DEC_1))
    session.commit()


@pytest.fixture
def api(serve_readings) -> TestClient:
    return serve_readings(seed)


def get(api: TestClient, target: str, client: str = "carrots"):
    secret = DEFINITION.settings().gateway_secret
    return api.get(target, headers=signed_headers(secret, method="GET", target=target, client=client))


def consumption(api: TestClient, identifier: str, start: str, end: str, granularity: str, client: str = "carrots"):
    start, end = start.replace("+", "%2B"), end.replace("+", "%2B")
    return get(api, f"/readings/{identifier}/consumption?from={start}&to={end}&granularity={granularity}", client)


def figures(body: dict) -> list[str]:
    return [period["consumption"] for period in body["periods"]]


def test_daily_sums_of_half_hours_follow_the_tokyo_day(api: TestClient) -> None:
    response = consumption(api, INTERVALS, "2023-11-30T00:00:00+09:00", "2023-12-03T00:00:00+09:00", "day")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["timezone"] == "Asia/Tokyo" and body["unit"] == "kWh" and body["warnings"] == []
    assert body["from"] == "2023-11-30T00:00:00+09:00" and body["to"] == "2023-12-03T00:00:00+09:00"
    # 0.01 + ... + 0.48 = 11.76; the deleted 99 is not counted.
    assert figures(body) == ["1.5000", "11.7600", "2.2500"]
    assert body["periods"][1]["start"] == "2023-12-01T00:00:00+09:00"
    assert body["periods"][1]["sources"] == {"interval": "11.7600", "register": "0.0000"}


def test_hourly_and_monthly_sums(api: TestClient) -> None:
    hours = consumption(api, INTERVALS, "2023-12-01T00:00:00+09:00", "2023-12-01T03:00:00+09:00", "hour").json()
    assert figures(hours) == ["0.0300", "0.0700", "0.1100"]
    assert [p["end"] for p in hours["periods"]][-1] == "2023-12-01T03:00:00+09:00"
    months = consumption(api, INTERVALS, "2023-10-01T00:00:00+09:00", "2024-01-01T00:00:00+09:00", "month").json()
    assert figures(months) == ["0.0000", "1.5000", "14.0100"]
    assert [p["has_data"] for p in months["periods"]] == [False, True, True]


def test_register_differences_are_apportioned_across_days(api: TestClient) -> None:
    # 20131 -> 20242 over October (local), 20242 -> 20418 over November: 111 over 31 days, 176 over 30.
    body = consumption(api, REGISTER, "2023-10-30T00:00:00+09:00", "2023-11-02T00:00:00+09:00", "day").json()
    assert figures(body) == ["3.5807", "3.5806", "5.8667"]
    months = consumption(api, REGISTER, "2023-10-01T00:00:00+09:00", "2023-12-01T00:00:00+09:00", "month").json()
    assert figures(months) == ["111.0000", "176.0000"]
    assert months["periods"][0]["sources"] == {"interval": "0.0000", "register": "111.0000"}


def test_a_meter_reset_is_flagged_not_counted(api: TestClient) -> None:
    body = consumption(api, RESET, "2023-12-02T00:00:00+09:00", "2023-12-05T00:00:00+09:00", "day").json()
    assert figures(body) == ["0.0000", "20.0000", "0.0000"]
    assert [p["has_data"] for p in body["periods"]] == [False, True, False]
    [warning] = body["warnings"]
    assert warning["code"] == "register_decreased" and warning["meter"] == "0040-3211"
    assert (warning["start"], warning["end"]) == ("2023-12-02T00:00:00+09:00", "2023-12-03T00:00:00+09:00")


def test_a_configured_time_zone_wins_over_the_default(api: TestClient) -> None:
    with Session(api.app_engine) as session:  # type: ignore[attr-defined]
        session.add(ClientFormat(client="carrots", format="carrots", timezone="UTC", updated_at=TOKYO_DEC_1))
        session.commit()
    body = consumption(api, INTERVALS, "2023-12-01T00:00:00Z", "2023-12-02T00:00:00Z", "day").json()
    assert body["timezone"] == "UTC"
    assert figures(body) == [f"{sum(Decimal(n) / 100 for n in range(19, 49)) + Decimal('2.25'):.4f}"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2023-12-01T00:00:00Z&to=2023-12-02T00:00:00Z&granularity=week", "granularity"),
        ("from=2023-12-01T00:00:00&to=2023-12-02T00:00:00Z&granularity=day", "from"),
        ("to=2023-12-02T00:00:00Z&granularity=day", "from"),
        ("from=2023-12-02T00:00:00Z&to=2023-12-02T00:00:00Z&granularity=day", "to"),
        ("from=2023-01-01T00:00:00Z&to=2024-01-03T00:00:00Z&granularity=hour", "to"),
        ("from=2013-01-01T00:00:00Z&to=2024-01-03T00:00:00Z&granularity=month", "to"),
    ],
)
def test_invalid_requests_are_422_naming_the_field(api: TestClient, query: str, field: str) -> None:
    response = get(api, f"/readings/{INTERVALS}/consumption?{query}")
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert ["query", field] in [error["loc"] for error in response.json()["errors"]]


def test_unknown_or_foreign_points_are_404(api: TestClient) -> None:
    for identifier, client in [(INTERVALS, "potatoes"), ("nope", "carrots")]:
        response = consumption(api, identifier, "2023-12-01T00:00:00Z", "2023-12-02T00:00:00Z", "day", client)
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
