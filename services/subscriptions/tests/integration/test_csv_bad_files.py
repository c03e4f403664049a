"""Malformed CSVs (issue 9, acceptance 4), on SQLite and PostgreSQL: a bad msisdn, a bad ts, a latitude
of 91 are row errors with their line (the good rows land); a missing column, an empty file, a binary
file, a 10 MB line fail the job with the reason and change nothing; nothing answers 500."""

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from subscriptions.models import CsvUploadChunk

ADDITIONS = "msisdn,ts,lat,lon,original_sub_plan\n"
GOOD = "254700000001,2026-03-02 09:00:00,-1.3,36.8,11\n"


def test_bad_rows_are_errors_with_their_line_and_the_good_rows_land(api: Any, files: Any) -> None:
    text = (
        ADDITIONS
        + GOOD
        + "25470000000x,2026-03-02 09:00:00,-1.3,36.8,11\n"  # 3
        + "254700000003,2026-03-02 9:00,-1.3,36.8,11\n"  # 4
        + "254700000004,2026-02-30 09:00:00,-1.3,36.8,11\n"  # 5: no such day
        + "254700000005,2026-03-02 09:00:00,91,36.8,11\n"  # 6
        + "254700000006,2026-03-02 09:00:00,-1.3,nan,11\n"  # 7
        + "254700000007,2026-03-02 09:00:00,-1.3,36.8,31\n"  # 8
        + "254700000008,2026-03-02 09:00:00,-1.3\n"  # 9
        + "\n"  # 10: skipped
        + '"254700000009,2026-03-02 09:00:00,-1.3,36.8,11\n'  # 11
        + "254700000010,2026-03-02 09:00:00,-1.3,36.8,11\x00\n"  # 12
        + "254700000011,2026-03-02 09:00:00,\u0661,36.8,11\n"  # 13: an Arabic-Indic one
        + '254700000012,"2026-03-02 09:00:00",-1.3,36.8,daily\n'  # 14: quoted, fine
        + "254700000013,2026-03-02 09:00:00,@@,36.8,11\n"  # 15: not UTF-8
    )
    outcome = files.imported("additions", text.encode().replace(b"@@", b"\xff"))
    assert not outcome.failed
    result = outcome.result
    assert (result["status"], result["rows"], result["added"], result["rejected"]) == ("PARTIAL", 13, 2, 11)
    messages = {error["line"]: error["message"] for error in outcome.errors}
    assert sorted(messages) == [3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 15]
    assert "msisdn '25470000000x' is not 8 to 15 digits" in messages[3]
    assert "ts '2026-03-02 9:00' is not a time YYYY-MM-DD HH:MM:SS" in messages[4]
    assert "ts '2026-02-30 09:00:00'" in messages[5]
    assert "lat '91' is not a number from -90 to 90" in messages[6]
    assert "lon 'nan'" in messages[7]
    assert "plan '31'" in messages[8]
    assert "expected 5 fields" in messages[9]
    assert "malformed quoting" in messages[11]
    assert "NUL" in messages[12]
    assert "lat" in messages[13]
    assert "not UTF-8" in messages[15]
    assert files.subscription("254700000001")["status"] == "unpaid"
    assert files.subscription("254700000012")["plan"] == "daily"


def test_an_msisdn_unknown_to_cancellations_and_updates_is_a_row_error(api: Any, files: Any) -> None:
    files.imported("additions", ADDITIONS + GOOD)
    outcome = files.imported(
        "updates", "msisdn,ts,lat,lon\n254700000001,2026-03-02 10:00:00,1,2\n999999999,2026-03-02 10:00:00,1,2\n"
    )
    assert (outcome.result["updated"], outcome.result["rejected"]) == (1, 1)
    assert outcome.errors == [{"line": 3, "message": "no subscription has msisdn 999999999"}]


BINARY = bytes(range(256)) * 8  # NUL, every byte, and newlines among them


@pytest.mark.parametrize(
    ("content", "line", "reason"),
    [
        ("msisdn,lat,lon,original_sub_plan\n" + GOOD, 1, "the header lacks ts"),
        ("msisdn,ts,lat,lon\n" + GOOD, 1, "lacks original_sub_plan (or service_id)"),
        ("msisdn,ts,ts,lat,lon,service_id\n", 1, "names ts more than once"),
        ("\n" + GOOD, 1, "line 1 is empty"),
        (BINARY, 1, "must be the header"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 100, 1, "must be the header"),
        (ADDITIONS + GOOD + "x" * (10 * 1024 * 1024) + "\n" + GOOD.replace("01,", "02,"), 3, "longer than 4096 bytes"),
        ("x" * (10 * 1024 * 1024), 1, "longer than 4096 bytes"),
    ],
    ids=["no ts", "no plan", "twice", "empty header", "binary", "png", "10 MB line", "10 MB header"],
)
def test_a_file_that_cannot_be_read_fails_and_changes_nothing(
    api: Any, files: Any, content: str | bytes, line: int, reason: str
) -> None:
    before = files.everything()
    accepted = files.upload("additions", content)
    assert accepted.status_code == 202, accepted.text
    outcome = files.run(accepted.json()["job_id"])
    assert outcome.failed and outcome.result == {"status": "UNUSABLE", "kind": "additions"}
    assert outcome.errors[0]["line"] == line and reason in outcome.errors[0]["message"], outcome.errors
    assert "nothing was changed" in outcome.errors[0]["message"]
    assert files.everything() == before  # the good row before the long line did not land either
    assert chunks_left(api) == 0
    assert files.run(accepted.json()["job_id"]).errors == outcome.errors  # run again: the same report


def test_a_header_alone_is_a_file_of_no_rows(api: Any, files: Any) -> None:
    outcome = files.imported("cancellations", "msisdn,ts\r\n")
    assert not outcome.failed and (outcome.result["rows"], outcome.result["cancelled"]) == (0, 0)


def test_an_empty_or_missing_file_is_422_an_unknown_kind_422_and_too_large_413(api: Any, files: Any) -> None:
    empty = files.upload("additions", b"")
    assert empty.status_code == 422 and empty.headers["content-type"] == "application/problem+json"
    missing = api.call("POST", "/subscriptions/subscriptions/files/additions", data={"x": "y"})
    assert missing.status_code == 422 and missing.headers["content-type"] == "application/problem+json"
    unknown = files.upload("forecasts".replace("forecasts", "renewals"), ADDITIONS + GOOD)
    assert unknown.status_code == 422
    api.http.app.state.settings.max_upload_bytes = 100
    too_large = files.upload("additions", ADDITIONS + GOOD * 10)
    assert too_large.status_code == 413 and too_large.headers["content-type"] == "application/problem+json"
    assert chunks_left(api) == 0


def test_another_clients_job_is_404_and_its_upload_is_not_imported(api: Any, files: Any) -> None:
    accepted = files.upload("additions", ADDITIONS + GOOD)
    job_id = accepted.json()["job_id"]
    assert api.get(f"/subscriptions/jobs/{job_id}", client="other").status_code == 404
    assert files.run(job_id, client="other").failed
    assert files.everything(client="other") == ({}, {})


def chunks_left(api: Any) -> int:
    with Session(api.engine) as session:
        return session.execute(select(func.count()).select_from(CsvUploadChunk)).scalar_one()
