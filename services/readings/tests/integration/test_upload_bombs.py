"""Acceptance (issue 7, point 2): upload bombs end as a failed job (or, where it is the right answer,
a report) with the reason, in seconds, in under 300 MB above the worker's idle size.

Each bomb runs in a fresh child process that measures its own peak resident size against its idle
size (quintet_shared.testing.measured), on SQLite and PostgreSQL. A bomb small enough to be uploaded
goes through POST /readings/files and the `ingest_file` job; a 1 GB one, over
READINGS_MAX_UPLOAD_BYTES, is generated as it is read and goes through the ingestion use case, and
its upload is shown to be refused with 413 without being read whole.
"""

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from quintet_shared.bus.memory import InMemoryBus
from quintet_shared.component import create_service_app
from quintet_shared.runtime import Runtime
from quintet_shared.testing.gateway import signed_headers
from quintet_shared.testing.measured import Measured, measured
from readings.component import DEFINITION
from readings.config import Settings

BOMBS = Path(__file__).with_name("bombs.py")
MAX_GROWTH = 300 * 1024 * 1024
MAX_SECONDS = 30  # "in seconds": generous for a shared CI machine; each takes one to a few


def in_child(function: str, *args: Any) -> Measured:
    return measured(f"{BOMBS}:{function}", *args, timeout=120)


def assert_bounded(run: Measured) -> dict[str, Any]:
    assert run.error is None, run.error
    assert run.seconds < MAX_SECONDS, run
    assert run.peak_above_idle < MAX_GROWTH, run
    return run.result  # type: ignore[no-any-return]


def upload(engine: Any, database_url: str, content: bytes, client: str = "potatoes") -> str:
    settings = Settings(database_url=database_url)
    app = create_service_app(DEFINITION, settings, Runtime(engine=engine, bus=InMemoryBus()))
    target = "/readings/files"
    headers = signed_headers(settings.gateway_secret, method="POST", target=target, client=client)
    with TestClient(app) as api:
        response = api.post(target, headers=headers, files={"file": ("bomb.json", content, "application/json")})
    assert response.status_code == 202, response.text
    return str(response.json()["job_id"])


@pytest.mark.parametrize(
    ("bomb", "reason"),
    [
        ("deep nesting", "line 1: nesting deeper than 64 levels (in supply point #1)"),
        ("ten million tiny objects", "too many errors: more than 100000 rows were rejected"),
    ],
)
def test_deeply_nested_or_swarming_upload_fails_fast_in_bounded_memory(
    engine: Any, database_url: str, bomb: str, reason: str
) -> None:
    """Defect: 120,000 levels (720 KB) drove the platform to 24 GB; the job then stayed STARTED."""
    from_child = in_child("prepare_bytes", bomb)  # generated in a child too: the test runner stays small
    job_id = upload(engine, database_url, assert_bounded(from_child))
    outcome = assert_bounded(in_child("prepare_job", database_url, job_id, "potatoes"))
    assert outcome["failed"] and outcome["result"] == {"status": "UNUSABLE"}
    assert outcome["errors"][0]["message"].startswith(reason), outcome


@pytest.mark.parametrize(
    ("bomb", "client", "reason"),
    [
        ("a 1 GB line", "potatoes", "more than 1048576 bytes without a complete JSON token"),
        ("one record repeated", "potatoes", "too many errors: more than 100000 rows were rejected"),
        ("a file of NULs", "potatoes", "the file is binary (it contains NUL bytes)"),
    ],
)
def test_gigabyte_bombs_fail_the_ingestion_fast_in_bounded_memory(
    engine: Any, database_url: str, bomb: str, client: str, reason: str
) -> None:
    outcome = assert_bounded(in_child("prepare_ingestion", database_url, bomb, client))
    assert outcome["failed"], outcome
    assert reason in outcome["errors"][0]["message"], outcome


def test_a_gigabyte_line_in_a_line_format_is_one_row_error_naming_the_limit(engine: Any, database_url: str) -> None:
    outcome = assert_bounded(in_child("prepare_ingestion", database_url, "a 1 GB carrots line", "carrots"))
    assert not outcome["failed"] and outcome["result"]["rejected"] == 1
    assert outcome["errors"] == [{"line": 3, "message": "line is longer than 4096 bytes; skipped"}]


@pytest.mark.parametrize("declared", [True, False], ids=["with Content-Length", "streamed"])
def test_a_gigabyte_upload_is_413_without_being_read_whole(engine: Any, database_url: str, declared: bool) -> None:
    answer = assert_bounded(in_child("prepare_http_upload", database_url, declared))
    assert answer["status"] == 413
    max_upload = Settings().max_upload_bytes
    assert answer["read"] < (0 if declared else max_upload) + 2 * 1024 * 1024 + 64 * 1024, answer
