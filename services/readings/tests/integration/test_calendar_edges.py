"""Defect 2 of issue 7: a date near the ends of the calendar answered 500 (OverflowError when turned
into UTC). Now a bound whose instant has no UTC date-time, or whose periods would run off the
calendar, is a 422 problem naming the field; on SQLite and PostgreSQL."""

import json
from datetime import UTC, datetime
from urllib.parse import quote
from uuid import UUID

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session

from quintet_shared.clock import FakeClock
from quintet_shared.jobs import JobContext
from quintet_shared.tables import job
from quintet_shared.testing.gateway import signed_headers
from readings.component import DEFINITION
from readings.ingestion.job import run_ingest_job
from readings.models import SupplyPoint

POINT = "120000003100"
EDGES = [
    ("from_dt", "0001-01-01T00:00:00+09:00"),
    ("from_dt", "9999-12-31T23:59:59-09:00"),
    ("to_dt", "9999-12-31T23:59:59-14:00"),
    ("to_dt", "0001-01-01T00:00:00+14:00"),
]


def seed(session: Session) -> None:
    session.add(SupplyPoint(client="potatoes", identifier=POINT, created_at=datetime(2023, 12, 1, tzinfo=UTC)))
    session.commit()


@pytest.fixture
def api(serve_readings) -> TestClient:
    return serve_readings(seed)


def get(api: TestClient, path: str, **query: str):
    target = path + "?" + "&".join(f"{name}={quote(value, safe='')}" for name, value in query.items())
    secret = DEFINITION.settings().gateway_secret
    return api.get(target, headers=signed_headers(secret, method="GET", target=target, client="potatoes"))


def assert_names(response, field: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    locations = [error["loc"] for error in response.json()["errors"]]
    assert ["query", field] in locations, response.json()


@pytest.mark.parametrize(("field", "value"), EDGES)
@pytest.mark.parametrize("path", [f"/readings/{POINT}", f"/readings/v2/{POINT}"], ids=["v1", "v2"])
def test_calendar_edge_dates_are_422_not_500(api: TestClient, path: str, field: str, value: str) -> None:
    assert_names(get(api, path, **{field: value}), field)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "0001-01-01T00:00:00+09:00", "to": "0001-01-02T00:00:00Z"}, "from"),
        ({"from": "0001-01-01T00:00:00Z", "to": "0001-01-02T00:00:00Z"}, "from"),
        ({"from": "9998-11-01T00:00:00Z", "to": "9998-12-31T00:00:00Z"}, "to"),
        ({"from": "9999-12-30T00:00:00Z", "to": "9999-12-31T23:59:59-14:00"}, "to"),
    ],
    ids=["offset before year 1", "first day", "last month", "offset past year 9999"],
)
@pytest.mark.parametrize("granularity", ["hour", "day", "month"])
def test_consumption_near_the_calendar_edges_is_422_not_500(
    api: TestClient, query: dict[str, str], field: str, granularity: str
) -> None:
    assert_names(get(api, f"/readings/{POINT}/consumption", granularity=granularity, **query), field)


def test_ordinary_bounds_still_answer(api: TestClient) -> None:
    response = get(api, f"/readings/{POINT}", from_dt="2023-01-01T00:00:00+14:00", to_dt="2024-01-01T00:00:00-12:00")
    assert response.status_code == 200, response.text


def test_an_edge_read_at_in_an_uploaded_file_is_a_row_error_not_a_crashed_job(api: TestClient) -> None:
    """Defect: the OverflowError crashed the ingestion job five times and lost the whole file."""
    readings = [{"value": 1, "read_at": "0001-01-01T00:00:00+09:00"}, {"value": 2, "read_at": "2023-11-02T00:00:00Z"}]
    content = json.dumps([{"identifier": POINT, "readings": readings}]).encode()
    target = "/readings/files"
    headers = signed_headers(DEFINITION.settings().gateway_secret, method="POST", target=target, client="potatoes")
    accepted = api.post(target, headers=headers, files={"file": ("edge.json", content, "application/json")})
    assert accepted.status_code == 202, accepted.text
    job_id = UUID(accepted.json()["job_id"])
    engine = api.app_engine  # type: ignore[attr-defined]
    with Session(engine) as session:
        payload = session.execute(select(job.c.payload).where(job.c.id == job_id)).scalar_one()
    outcome = run_ingest_job(JobContext(job_id, "ingest_file", "potatoes", payload, engine=engine, clock=FakeClock()))
    assert not outcome.failed and outcome.result["new_readings"] == 1 and outcome.result["rejected"] == 1
    assert outcome.errors == [
        {"line": 2, "message": f"supply point #1 ('{POINT}'), reading #1: read_at '0001-01-01T00:00:00+09:00' "
         "is out of range: a reading must lie between 0002-01-01 and 9998-12-01 (UTC)"}
    ]  # fmt: skip
