"""POST /readings/files and the `ingest_file` job, on both databases: the upload is stored in
chunks with its job, the job ingests it (twice is harmless) and reports counts and bad lines."""

from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlmodel import Session, select

from quintet_shared.bus.memory import InMemoryBus
from quintet_shared.clock import FakeClock
from quintet_shared.component import create_service_app
from quintet_shared.jobs import JobContext
from quintet_shared.runtime import Runtime
from quintet_shared.tables import job
from quintet_shared.testing.gateway import signed_headers
from readings.component import DEFINITION
from readings.config import Settings
from readings.ingestion.job import run_ingest_job
from readings.models import Reading, UploadChunk

CARROTS = (Path(__file__).resolve().parents[1] / "fixtures" / "carrots" / "readings.txt").read_bytes()


@pytest.fixture
def api(engine, database_url: str) -> Iterator[TestClient]:
    settings = Settings(database_url=database_url, max_upload_bytes=4096)
    app = create_service_app(DEFINITION, settings, Runtime(engine=engine, bus=InMemoryBus()))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def upload(api: TestClient, content: bytes, *, strict: bool = False, client: str = "carrots"):
    target = "/readings/files"
    headers = signed_headers(DEFINITION.settings().gateway_secret, method="POST", target=target, client=client)
    files = {"file": ("readings.txt", content, "text/plain")}
    return api.post(target, headers=headers, files=files, data={"strict": str(strict).lower()})


def run_job(engine, job_id: str, *, client: str = "carrots"):
    with Session(engine) as session:
        payload = session.execute(select(job.c.payload).where(job.c.id == UUID(job_id))).scalar_one()
    context = JobContext(UUID(job_id), "ingest_file", client, payload, engine=engine, clock=FakeClock())
    return run_ingest_job(context)


def count(engine, model) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def test_an_upload_is_a_job_that_ingests_the_file_and_can_run_twice(api: TestClient, engine) -> None:
    response = upload(api, CARROTS)
    assert response.status_code == 202, response.text
    accepted = response.json()
    assert accepted["status"] == "PENDING" and accepted["status_url"].endswith(accepted["job_id"])
    assert count(engine, UploadChunk) == 1
    outcome = run_job(engine, accepted["job_id"])
    assert not outcome.failed and outcome.result["new_readings"] == 53 and outcome.result["supply_points"] == 3
    assert (count(engine, Reading), count(engine, UploadChunk)) == (53, 0)
    again = run_job(engine, accepted["job_id"])  # a redelivery after the ingestion committed
    assert not again.failed and again.result["new_readings"] == 53
    assert count(engine, Reading) == 53


def test_bad_rows_are_the_jobs_errors_and_strict_fails_it(api: TestClient, engine) -> None:
    bad = CARROTS.replace(b"024|20231201|03|0.02", b"024|20231201|03|zero")
    outcome = run_job(engine, upload(api, bad).json()["job_id"])
    assert not outcome.failed and outcome.result["rejected"] == 1 and outcome.errors[0]["line"] == 5
    strict = run_job(engine, upload(api, bad.replace(b"0.06", b"0.07"), strict=True).json()["job_id"])
    assert strict.failed and strict.result["status"] == "REJECTED" and strict.result["new_readings"] == 0


def test_an_unusable_file_fails_the_job_and_stores_nothing(api: TestClient, engine) -> None:
    outcome = run_job(engine, upload(api, b"\x00\x01 not a carrots file").json()["job_id"])
    assert outcome.failed and outcome.errors and count(engine, Reading) == 0
    assert count(engine, UploadChunk) == 0


def test_too_large_and_empty_files_are_refused(api: TestClient, engine) -> None:
    too_large = upload(api, CARROTS * 4)
    assert too_large.status_code == 413 and too_large.headers["content-type"] == "application/problem+json"
    assert upload(api, b"").status_code == 422
    assert count(engine, UploadChunk) == 0


def test_the_body_limit_covers_the_upload_limit() -> None:
    settings = Settings(max_upload_bytes=300 * 1024 * 1024)
    assert settings.max_body_bytes > 300 * 1024 * 1024
