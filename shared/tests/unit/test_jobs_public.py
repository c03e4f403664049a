from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest
from pydantic import ValidationError

from quintet_shared.jobs import JobAccepted, JobError, JobStatus, job_public

CREATED = datetime(2026, 3, 1, 10, tzinfo=UTC)


def row(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": uuid4(),
        "client": "potatoes",
        "kind": "import",
        "status": "PENDING",
        "payload": {"file": "a.csv"},
        "progress_done": 0,
        "progress_total": None,
        "result": None,
        "errors": None,
        "attempts": 0,
        "created_at": CREATED,
        "started_at": None,
        "finished_at": None,
    }
    return {**base, **changes}


def test_a_pending_job_shows_no_progress_total_no_result_and_no_errors() -> None:
    job = row()
    public = job_public(job)
    assert public.job_id == job["id"]
    assert public.status is JobStatus.PENDING
    assert public.progress.model_dump() == {"done": 0, "total": None}
    assert public.result is None
    assert public.errors == []


def test_a_finished_job_shows_its_result_errors_and_times() -> None:
    finished = datetime(2026, 3, 1, 10, 5, tzinfo=UTC)
    public = job_public(
        row(
            status="FAILURE",
            progress_done=3,
            progress_total=10,
            result={"imported": 2},
            errors=[{"line": 4, "message": "bad date"}, {"line": None, "message": "stopped"}],
            started_at=CREATED,
            finished_at=finished,
        )
    )
    assert public.status is JobStatus.FAILURE
    assert public.result == {"imported": 2}
    assert public.errors == [JobError(line=4, message="bad date"), JobError(line=None, message="stopped")]
    assert public.finished_at == finished


def test_an_expired_job_shows_nothing_of_what_it_held() -> None:
    public = job_public(row(status="EXPIRED", result={"secret": 1}, errors=[{"line": 1, "message": "x"}]))
    assert public.status is JobStatus.EXPIRED
    assert public.result is None
    assert public.errors == []


def test_the_payload_never_reaches_the_api() -> None:
    assert "payload" not in job_public(row()).model_dump()


def test_the_status_body_has_the_documented_fields() -> None:
    body = job_public(row()).model_dump(mode="json")
    assert set(body) == {
        "job_id",
        "kind",
        "status",
        "progress",
        "result",
        "errors",
        "created_at",
        "started_at",
        "finished_at",
    }
    assert body["created_at"].startswith("2026-03-01T10:00:00")


def test_an_unknown_status_is_refused() -> None:
    with pytest.raises(ValueError):
        job_public(row(status="RUNNING"))


def test_the_accepted_body_points_at_the_status_route() -> None:
    job_id = uuid4()
    accepted = JobAccepted.for_job("readings", job_id)
    assert accepted.model_dump(mode="json") == {
        "job_id": str(job_id),
        "status": "PENDING",
        "status_url": f"/readings/jobs/{job_id}",
    }


def test_the_accepted_status_cannot_be_anything_but_pending() -> None:
    with pytest.raises(ValidationError):
        JobAccepted(job_id=uuid4(), status="SUCCESS", status_url="/x")  # type: ignore[arg-type]
