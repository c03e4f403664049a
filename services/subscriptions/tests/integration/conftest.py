"""Fixtures shared by the subscriptions integration tests: the service over a migrated test database
(SQLite and PostgreSQL), on a clock that moves only when told, called as the gateway would; CSV
uploads with their import job run in the test."""

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from quintet_shared.bus.memory import InMemoryBus
from quintet_shared.clock import FakeClock
from quintet_shared.component import create_service_app
from quintet_shared.db import make_engine
from quintet_shared.jobs import JobContext, JobOutcome
from quintet_shared.migrations import upgrade
from quintet_shared.runtime import Runtime
from quintet_shared.tables import job
from quintet_shared.testing.gateway import signed_headers
from subscriptions.component import DEFINITION
from subscriptions.csv_uploads import IMPORT_JOB, run_import_job

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """The test database, migrated to the subscriptions service's latest revision."""
    upgrade(DEFINITION.migrations, database_url)
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


class Api:
    """The subscriptions API called with the gateway's signed headers, as client `iska` by default."""

    def __init__(self, http: TestClient, engine: Engine, clock: FakeClock) -> None:
        self.http, self.engine, self.clock = http, engine, clock
        self.secret = DEFINITION.settings().gateway_secret

    def call(
        self, method: str, target: str, *, client: str = "iska", json: Any = None, **kwargs: Any
    ) -> httpx.Response:
        signed = signed_headers(self.secret, method=method, target=target, client=client)
        return self.http.request(method, target, headers=signed, json=json, **kwargs)

    def get(self, target: str, **kwargs: Any) -> httpx.Response:
        return self.call("GET", target, **kwargs)

    def post(self, target: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        return self.call("POST", target, json=json, **kwargs)

    def put(self, target: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        return self.call("PUT", target, json=json, **kwargs)

    def patch(self, target: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        return self.call("PATCH", target, json=json, **kwargs)

    def delete(self, target: str, **kwargs: Any) -> httpx.Response:
        return self.call("DELETE", target, **kwargs)

    def created(self, target: str, json: Any, **kwargs: Any) -> dict[str, Any]:
        """POST that must answer 201; its body."""
        response = self.post(target, json, **kwargs)
        assert response.status_code == 201, response.text
        return response.json()


@pytest.fixture
def api(engine: Engine, clock: FakeClock) -> Iterator[Api]:
    runtime = Runtime(engine=engine, bus=InMemoryBus(), clock=clock)
    app = create_service_app(DEFINITION, DEFINITION.settings(), runtime)
    with TestClient(app, raise_server_exceptions=False) as http:
        yield Api(http, engine, clock)


class Files:
    """CSV uploads and their `import_csv` job, run as a worker would run it, on the API's clock."""

    def __init__(self, api: Api) -> None:
        self.api = api

    @staticmethod
    def path(kind: str) -> str:
        return "/subscriptions/forecasts/files" if kind == "forecasts" else f"/subscriptions/subscriptions/files/{kind}"

    def upload(self, kind: str, content: str | bytes, *, client: str = "iska") -> httpx.Response:
        body = content.encode() if isinstance(content, str) else content
        return self.api.call("POST", self.path(kind), client=client, files={"file": (f"{kind}.csv", body, "text/csv")})

    def run(self, job_id: str, *, client: str = "iska") -> JobOutcome:
        with Session(self.api.engine) as session:
            payload = session.execute(select(job.c.payload).where(job.c.id == UUID(job_id))).scalar_one()
        context = JobContext(UUID(job_id), IMPORT_JOB, client, payload, engine=self.api.engine, clock=self.api.clock)
        return run_import_job(context)

    def imported(self, kind: str, content: str | bytes, *, client: str = "iska") -> JobOutcome:
        """Upload (202, PENDING) and run the job: its outcome."""
        accepted = self.upload(kind, content, client=client)
        assert accepted.status_code == 202, accepted.text
        assert accepted.json()["status"] == "PENDING"
        return self.run(accepted.json()["job_id"], client=client)

    def subscription(self, msisdn: str, *, client: str = "iska") -> dict[str, Any]:
        response = self.api.get(f"/subscriptions/subscriptions/{msisdn}", client=client)
        assert response.status_code == 200, (msisdn, response.text)
        return response.json()

    def everything(self, *, client: str = "iska") -> tuple[dict[str, Any], dict[str, Any]]:
        """Every forecast point by gid and subscription by msisdn, as the API shows them."""
        points = self.api.get("/subscriptions/forecasts?page_size=500", client=client).json()["results"]
        subs = self.api.get("/subscriptions/subscriptions?page_size=500", client=client).json()["results"]
        return {p["gid"]: p for p in points}, {s["msisdn"]: s for s in subs}


@pytest.fixture
def files(api: Api) -> Files:
    return Files(api)
