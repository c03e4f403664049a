"""POST /promotions/profiles/files and its `import_profiles` job, on SQLite and PostgreSQL: rows create
or replace profiles, bad rows are errors with their line, a file that fails as a whole or a strict
rejection changes nothing, and another client's profiles are never touched."""

from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlmodel import Session

from promotions import profile_import
from promotions.component import DEFINITION
from promotions.config import Settings
from promotions.models import ProfileUploadChunk
from promotions.profile_uploads import IMPORT_JOB, run_import_job
from quintet_shared.bus.memory import InMemoryBus
from quintet_shared.component import create_service_app
from quintet_shared.jobs import JobContext, JobOutcome
from quintet_shared.runtime import Runtime
from quintet_shared.tables import job

HEADER = "user,email,latitude,longitude,segments\n"


def upload(api: Any, content: str | bytes, *, client: str = "promos", strict: bool = False) -> Any:
    body = content.encode() if isinstance(content, str) else content
    files = {"file": ("profiles.csv", body, "text/csv")}
    return api.call("POST", "/promotions/profiles/files", client=client, files=files, data={"strict": str(strict)})


def run_job(api: Any, job_id: str, *, client: str = "promos") -> JobOutcome:
    with Session(api.engine) as session:
        payload = session.execute(select(job.c.payload).where(job.c.id == UUID(job_id))).scalar_one()
    return run_import_job(JobContext(UUID(job_id), IMPORT_JOB, client, payload, engine=api.engine, clock=api.clock))


def imported(api: Any, content: str | bytes, *, client: str = "promos", strict: bool = False) -> JobOutcome:
    accepted = upload(api, content, client=client, strict=strict)
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["status"] == "PENDING"
    return run_job(api, accepted.json()["job_id"], client=client)


def profile(api: Any, user: str, *, client: str = "promos") -> dict[str, Any]:
    response = api.get(f"/promotions/profiles/{user}", client=client)
    assert response.status_code == 200, (user, response.text)
    return response.json()


def profiles(api: Any, *, client: str = "promos") -> dict[str, dict[str, Any]]:
    page = api.get("/promotions/profiles?page_size=500", client=client).json()
    return {item["user"]: item for item in page["results"]}


def counts(outcome: JobOutcome) -> tuple[object, ...]:
    result = outcome.result
    return tuple(result[key] for key in ("status", "rows", "created", "replaced", "repeated", "rejected"))


def shape(item: dict[str, Any]) -> tuple[object, ...]:
    return item["email"], item["latitude"], item["longitude"], item["segments"]


def test_a_good_file_creates_profiles_as_written(api: Any, shop: dict[str, Any]) -> None:
    outcome = imported(
        api,
        HEADER + "007,ana@example.com,0,0,New users\n"
        "7,,43.2380,76.8829,Frequent buyers;New users\n"
        "a b,,,,\n"
        "0,zero@example.com,0,-0.5,\n",
    )
    assert not outcome.failed and outcome.errors == []
    assert counts(outcome) == ("IMPORTED", 4, 4, 0, 0, 0)
    stored = profiles(api)
    assert set(stored) == {"007", "7", "a b", "0"}
    assert shape(stored["007"]) == ("ana@example.com", 0, 0, ["New users"])  # 0 is a coordinate
    assert shape(stored["7"]) == (None, 43.2380, 76.8829, ["Frequent buyers", "New users"])
    assert shape(stored["a b"]) == (None, None, None, [])
    assert shape(stored["0"]) == ("zero@example.com", 0, -0.5, [])
    assert profile(api, "a b")["user"] == "a b"


def test_rows_replace_the_profiles_they_name_and_leave_the_others(api: Any, shop: dict[str, Any]) -> None:
    full = {"email": "ana@example.com", "latitude": 1, "longitude": 2, "segments": ["New users", "Frequent buyers"]}
    assert api.put("/promotions/profiles/ana", full).status_code == 201
    assert api.put("/promotions/profiles/bob", full).status_code == 201
    before = profile(api, "ana")
    api.clock.advance(timedelta(minutes=5))
    outcome = imported(api, HEADER + "ana,,,,Frequent buyers\ncarol,c@example.com,3,4,New users\n")
    assert counts(outcome) == ("IMPORTED", 2, 1, 1, 0, 0)
    ana = profile(api, "ana")
    assert shape(ana) == (None, None, None, ["Frequent buyers"])  # what the row leaves empty is cleared
    assert ana["created_at"] == before["created_at"] and ana["updated_at"] > before["updated_at"]
    assert shape(profile(api, "bob")) == ("ana@example.com", 1, 2, ["Frequent buyers", "New users"])
    assert shape(profile(api, "carol")) == ("c@example.com", 3, 4, ["New users"])


def test_a_file_imported_again_changes_nothing(api: Any, shop: dict[str, Any]) -> None:
    content = HEADER + "ana,a@example.com,1.5,2.5,New users\nbob,,,,Frequent buyers;New users\ncarol,,,,\n"
    assert counts(imported(api, content)) == ("IMPORTED", 3, 3, 0, 0, 0)
    before = profiles(api)
    api.clock.advance(timedelta(minutes=5))
    assert counts(imported(api, content)) == ("IMPORTED", 3, 0, 3, 0, 0)
    assert profiles(api) == before  # updated_at included: nothing was rewritten
    changed = content.replace("bob,,,,Frequent buyers;New users", "bob,,,,Frequent buyers")
    imported(api, changed)
    after = profiles(api)
    assert after["bob"]["segments"] == ["Frequent buyers"] and after["bob"]["updated_at"] > before["bob"]["updated_at"]
    assert after["ana"] == before["ana"]


@pytest.mark.parametrize("chunk_rows", [100_000, 2])
def test_a_user_named_twice_takes_its_last_good_row(
    api: Any, shop: dict[str, Any], monkeypatch: pytest.MonkeyPatch, chunk_rows: int
) -> None:
    monkeypatch.setattr(profile_import, "CHUNK_ROWS", chunk_rows)  # 2: the repeats fall in later chunks
    outcome = imported(
        api,
        HEADER + "ana,first@example.com,1,1,New users\n"
        "bob,,,,\n"
        "ana,second@example.com,2,2,Frequent buyers\n"
        "carol,,,,\n"
        "ana,third@example.com,3,3,\n"
        "ana,bad,4,4,\n",
    )
    assert counts(outcome) == ("PARTIAL", 6, 3, 0, 2, 1)
    assert [error["line"] for error in outcome.errors] == [7]
    assert shape(profile(api, "ana")) == ("third@example.com", 3, 3, [])


def test_bad_rows_are_errors_with_their_line_and_the_good_rows_land(api: Any, shop: dict[str, Any]) -> None:
    outcome = imported(
        api,
        HEADER + "ana,,1,1,New users\n"  # 2
        "bob,,1,1\n"  # 3: four fields
        "carol,,abc,1,\n"  # 4
        "dan,,91,1,\n"  # 5
        "eve,,1,,\n"  # 6: only one coordinate
        "fay,,1,1,VIP\n"  # 7: no such segment
        "gus,,,,\n",  # 8
    )
    assert not outcome.failed
    assert counts(outcome) == ("PARTIAL", 7, 2, 0, 0, 5)
    assert [error["line"] for error in outcome.errors] == [3, 4, 5, 6, 7]
    assert "no such segment: 'VIP'" in outcome.errors[-1]["message"]
    assert set(profiles(api)) == {"ana", "gus"}


def test_strict_rejects_the_whole_file_on_one_bad_row(api: Any, shop: dict[str, Any]) -> None:
    assert api.put("/promotions/profiles/ana", {"email": "ana@example.com"}).status_code == 201
    before = profiles(api)
    outcome = imported(api, HEADER + "ana,,,,\nbob,,,,\ncarol,,91,0,\n", strict=True)
    assert outcome.failed and outcome.result["status"] == "REJECTED"
    assert [error["line"] for error in outcome.errors] == [4]
    assert profiles(api) == before


@pytest.mark.parametrize(
    ("content", "line", "reason"),
    [
        ("007,ana@example.com,0,0,New users\n", 1, "line 1 must be the header"),
        (b"\x00" * 10_000, 1, "longer than 4096 bytes"),
        (b"\xff\xfeu\x00s\x00e\x00r\x00\n", 1, "not UTF-8"),
    ],
    ids=["no header", "NULs", "UTF-16"],
)
def test_a_file_that_cannot_be_read_fails_and_changes_nothing(
    api: Any, shop: dict[str, Any], content: str | bytes, line: int, reason: str
) -> None:
    assert api.put("/promotions/profiles/ana", {"email": "ana@example.com"}).status_code == 201
    before = profiles(api)
    accepted = upload(api, content)
    outcome = run_job(api, accepted.json()["job_id"])
    assert outcome.failed and outcome.result == {"status": "UNUSABLE"}
    assert outcome.errors[0]["line"] == line and reason in outcome.errors[0]["message"]
    assert profiles(api) == before
    assert chunks_left(api) == 0
    assert run_job(api, accepted.json()["job_id"]).errors == outcome.errors  # run again: the same report


def test_a_job_run_again_after_its_import_reports_it_and_imports_nothing(api: Any, shop: dict[str, Any]) -> None:
    accepted = upload(api, HEADER + "ana,,,,\nbob,,,,\n")
    first = run_job(api, accepted.json()["job_id"])
    assert counts(first) == ("IMPORTED", 2, 2, 0, 0, 0) and chunks_left(api) == 0
    again = run_job(api, accepted.json()["job_id"])  # a redelivery after the import committed
    assert again.result == first.result and not again.failed
    assert set(profiles(api)) == {"ana", "bob"}


def test_another_clients_profiles_and_segments_are_not_touched(api: Any, shop: dict[str, Any]) -> None:
    assert api.created("/promotions/segments", {"name": "VIP"}, client="other")
    body = {"email": "other@example.com", "latitude": 5, "longitude": 5, "segments": ["VIP"]}
    assert api.put("/promotions/profiles/007", body, client="other").status_code == 201
    outcome = imported(api, HEADER + "007,ana@example.com,0,0,New users\n008,,,,VIP\n")
    assert counts(outcome) == ("PARTIAL", 2, 1, 0, 0, 1)
    assert "no such segment: 'VIP'" in outcome.errors[0]["message"]  # the other client's segment
    assert shape(profile(api, "007")) == ("ana@example.com", 0, 0, ["New users"])
    assert shape(profile(api, "007", client="other")) == ("other@example.com", 5, 5, ["VIP"])
    other_job = upload(api, HEADER + "x,,,,\n").json()["job_id"]
    assert api.get(f"/promotions/jobs/{other_job}", client="other").status_code == 404
    assert run_job(api, other_job, client="other").failed  # the upload is not the other client's


def test_an_empty_or_missing_file_is_422_and_too_large_413(api: Any, shop: dict[str, Any]) -> None:
    assert upload(api, b"").status_code == 422
    missing = api.call("POST", "/promotions/profiles/files", data={"strict": "false"})
    assert missing.status_code == 422 and missing.headers["content-type"] == "application/problem+json"
    api.http.app.state.settings.max_upload_bytes = 100
    too_large = upload(api, HEADER + "x,,,,\n" * 50)
    assert too_large.status_code == 413 and too_large.headers["content-type"] == "application/problem+json"
    assert chunks_left(api) == 0


def test_the_upload_route_takes_files_past_the_json_body_limit(api: Any, shop: dict[str, Any]) -> None:
    settings = Settings(max_body_bytes=2048)  # MAX_BODY_BYTES: every other route's limit
    app = create_service_app(DEFINITION, settings, Runtime(engine=api.engine, bus=InMemoryBus(), clock=api.clock))
    with TestClient(app, raise_server_exceptions=False) as http:
        small = type(api)(http, api.engine, api.clock)  # the conftest's Api on this app
        content = HEADER + "".join(f"{n:08d},user{n}@example.com,43.2,76.9,New users\n" for n in range(200))
        assert len(content) > settings.max_body_bytes
        outcome = imported(small, content)
        assert counts(outcome) == ("IMPORTED", 200, 200, 0, 0, 0)
        big_json = {"email": "a@b.c", "segments": ["New users"] * 300}
        refused = small.put("/promotions/profiles/big", big_json)
        assert refused.status_code == 413 and refused.headers["content-type"] == "application/problem+json"


def chunks_left(api: Any) -> int:
    with Session(api.engine) as session:
        return session.execute(select(func.count()).select_from(ProfileUploadChunk)).scalar_one()


# SQLite holds its write lock through the landing: nothing can come in between there.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_postgresql_a_user_created_meanwhile_makes_the_chunk_an_upsert(
    api: Any, shop: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A PUT that creates one of the chunk's users between the lookup and the insert: the insert
    fails on the unique index and the chunk goes again as one upsert; the file's row wins."""
    assert api.engine.dialect.name == "postgresql"
    from promotions import profile_import_sql as sql

    original = sql._run

    def meanwhile(session: Session, statement: str, params: dict[str, Any]) -> None:
        if statement is sql._PG_INSERT and not interleaved:
            interleaved.append(True)
            with api.engine.begin() as other:
                other.execute(
                    text(
                        'INSERT INTO profile (client, "user", email, created_at, updated_at) '
                        "VALUES ('promos', 'bob', 'put@example.com', now(), now())"
                    )
                )
        original(session, statement, params)

    interleaved: list[bool] = []
    monkeypatch.setattr(sql, "_run", meanwhile)
    outcome = imported(api, HEADER + "ana,,,,New users\nbob,file@example.com,,,Frequent buyers\n")
    assert interleaved and counts(outcome) == ("IMPORTED", 2, 1, 1, 0, 0)
    assert shape(profile(api, "bob")) == ("file@example.com", None, None, ["Frequent buyers"])
    assert shape(profile(api, "ana")) == (None, None, None, ["New users"])
