"""GET /readings/{identifier} and /readings/v2/{identifier}: scoped to the caller, ordered, exact, with
strict time bounds; on SQLite and PostgreSQL. Rows are inserted with the ORM, not through ingestion."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from quintet_shared.testing.gateway import signed_headers
from readings import queries
from readings.component import DEFINITION
from readings.models import Reading, SupplyPoint

CARROTS_POINT = "0300111001601606083625"
POTATOES_POINT = "120000003100"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def seed(session: Session) -> None:
    potatoes = SupplyPoint(client="potatoes", identifier=POTATOES_POINT, created_at=at("2023-12-01T00:00:00Z"))
    carrots = SupplyPoint(client="carrots", identifier=CARROTS_POINT, created_at=at("2023-12-01T00:00:00Z"))
    session.add_all([potatoes, carrots])
    session.flush()
    # Inserted out of order: the API must order by time.
    for value, read_at in [("102.2", "2023-11-02"), ("93.8", "2023-10-02"), ("91", "2023-09-02")]:
        session.add(Reading(supply_point_id=potatoes.id, read_at=at(f"{read_at}T00:00:00Z"), value=Decimal(value)))
    session.add(
        Reading(supply_point_id=potatoes.id, read_at=at("2023-08-02T00:00:00Z"), value=Decimal(1), deleted=True)
    )
    for value, read_at in [("20131", "2023-09-30T15:00:00Z"), ("20242.5", "2023-10-31T15:00:00Z")]:
        session.add(Reading(supply_point_id=carrots.id, read_at=at(read_at), value=Decimal(value)))
    session.commit()


@pytest.fixture
def api(serve_readings) -> TestClient:
    return serve_readings(seed)


def get(api: TestClient, target: str, client: str = "potatoes"):
    """GET `target` (path and raw query, exactly as signed) as `client`, through a forged gateway."""
    secret = DEFINITION.settings().gateway_secret
    return api.get(target, headers=signed_headers(secret, method="GET", target=target, client=client))


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return response.json()


def test_readings_are_ordered_by_time_with_four_decimals_and_utc_times(api: TestClient) -> None:
    response = get(api, f"/readings/{POTATOES_POINT}")
    assert response.status_code == 200, response.text
    assert response.json() == [
        {"value": "91.0000", "read_at": "2023-09-02T00:00:00Z"},
        {"value": "93.8000", "read_at": "2023-10-02T00:00:00Z"},
        {"value": "102.2000", "read_at": "2023-11-02T00:00:00Z"},
    ]  # the deleted reading of August is not there


def test_from_is_inclusive_and_to_exclusive_whatever_the_offset(api: TestClient) -> None:
    # 2023-10-02T09:00+09:00 is the October reading's instant; 2023-11-02T00:00Z the November one's.
    target = f"/readings/{POTATOES_POINT}?from_dt=2023-10-02T09:00:00%2B09:00&to_dt=2023-11-02T00:00:00Z"
    assert [r["value"] for r in get(api, target).json()] == ["93.8000"]
    only_last = get(api, f"/readings/{POTATOES_POINT}?from_dt=2023-11-02T00:00:00Z").json()
    assert [r["value"] for r in only_last] == ["102.2000"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from_dt=yesterday", "from_dt"),
        ("to_dt=2023-13-01T00:00:00Z", "to_dt"),
        ("from_dt=2023-10-02T00:00:00", "from_dt"),  # naive: in which zone?
        ("from_dt=2023-10-02", "from_dt"),  # a date is not an instant
        ("to_dt=1700000000", "to_dt"),  # nor are Unix seconds
        ("from_dt=2023-10-02T09:00:00+09:00", "from_dt"),  # an unencoded + arrives as a space
    ],
)
def test_a_malformed_or_naive_bound_is_a_422_naming_the_field(api: TestClient, query: str, field: str) -> None:
    body = problem(get(api, f"/readings/{POTATOES_POINT}?{query}"), 422)
    assert ["query", field] in [error["loc"] for error in body["errors"]]
    assert problem(get(api, f"/readings/v2/{POTATOES_POINT}?{query}"), 422)["errors"]


def test_from_after_to_is_a_422(api: TestClient) -> None:
    body = problem(get(api, f"/readings/{POTATOES_POINT}?from_dt=2023-11-01T00:00:00Z&to_dt=2023-10-01T00:00:00Z"), 422)
    assert body["errors"][0]["loc"] == ["query", "to_dt"]


def test_unknown_and_other_clients_supply_points_are_404_alike(api: TestClient) -> None:
    unknown = problem(get(api, "/readings/999"), 404)
    other = problem(get(api, f"/readings/{CARROTS_POINT}"), 404)  # carrots' point, asked by potatoes
    assert unknown["title"] == other["title"] == "Not Found"
    assert problem(get(api, f"/readings/{'9' * 65}"), 422)["errors"][0]["loc"] == ["path", "identifier"]


def test_a_22_digit_identifier_keeps_its_leading_zero(api: TestClient) -> None:
    response = get(api, f"/readings/{CARROTS_POINT}", client="carrots")
    assert response.json() == [
        {"value": "20131.0000", "read_at": "2023-09-30T15:00:00Z"},
        {"value": "20242.5000", "read_at": "2023-10-31T15:00:00Z"},
    ]
    assert get(api, f"/readings/{CARROTS_POINT.lstrip('0')}", client="carrots").status_code == 404


def test_v2_wraps_the_same_items(api: TestClient) -> None:
    response = get(api, f"/readings/v2/{CARROTS_POINT}?to_dt=2023-10-31T15:00:00Z", client="carrots")
    assert response.status_code == 200
    assert response.json() == {"status": True, "data": [{"value": "20131.0000", "read_at": "2023-09-30T15:00:00Z"}]}


@pytest.mark.parametrize("identifier", ["UD0300111001601606083625", CARROTS_POINT, "x" * 100])
def test_v2_answers_400_in_its_envelope_for_anything_but_the_callers_points(api: TestClient, identifier: str) -> None:
    response = get(api, f"/readings/v2/{identifier}")  # as potatoes: the carrots point is not theirs
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"status": False, "error": "Not a valid Supply Point!"}


def test_unsigned_requests_stay_problem_json_401(api: TestClient) -> None:
    assert problem(api.get(f"/readings/v2/{POTATOES_POINT}"), 401)["status"] == 401


def test_a_range_beyond_the_cap_asks_for_a_narrower_one(api: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(queries, "MAX_READINGS", 2)
    assert "narrow" in problem(get(api, f"/readings/{POTATOES_POINT}"), 422)["detail"]
    assert len(get(api, f"/readings/{POTATOES_POINT}?from_dt=2023-10-01T00:00:00Z").json()) == 2
