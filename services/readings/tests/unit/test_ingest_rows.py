"""The checks and formats of staging rows, and the capped error log (no database)."""

import hashlib
import io
from datetime import UTC, datetime

import pytest

from readings.formats.base import ParsedReading
from readings.ingestion.result import ErrorLog, LineError
from readings.ingestion.rows import CopyFormatter, SqliteFormatter, check_value, meta_problem, row_problem
from readings.ingestion.source import HashingSource
from readings.models import MeterKind

AT = datetime(2023, 11, 30, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("102.2", "102.2"),
        ("-1", "-1"),
        ("1E+3", "1000"),
        ("2.50000", "2.50000"),
        ("999999999999.9999", "999999999999.9999"),
    ],
)
def test_values_that_fit_numeric_16_4(raw: str, stored: str) -> None:
    assert check_value(raw) == stored


@pytest.mark.parametrize("raw", ["1e12", "1e99", "0.00001", "NaN", "Infinity", "abc", ""])
def test_values_that_do_not_fit(raw: str) -> None:
    assert check_value(raw) is None


def reading(**fields: object) -> ParsedReading:
    base: dict[str, object] = {"line": 7, "identifier": "0300111001601606068240", "read_at": AT, "value": "1"}
    return ParsedReading(**{**base, **fields})  # type: ignore[arg-type]


def test_problems_that_would_fail_a_whole_statement() -> None:
    assert meta_problem(reading()) is None
    assert meta_problem(reading(identifier="x" * 65)) is not None
    assert meta_problem(reading(meter_serial="a\x00b", meter_kind=MeterKind.INTERVAL)) is not None
    assert meta_problem(reading(meter_serial="S1")) is not None  # a meter without a kind
    assert row_problem(reading(method="PP")) is not None
    assert row_problem(reading(read_at=datetime(2023, 1, 1))) is not None


def test_copy_lines_escape_and_use_null_markers() -> None:
    item = reading(meter_serial="a\tb", meter_kind=MeterKind.INTERVAL, time_code=1, method="\\")
    assert CopyFormatter().reading(3, 2, item, "1") == "3\t7\t2\t2023-11-30T15:00:00+00:00\t1\t\\N\t1\t\\\\\n"
    assert CopyFormatter().group(2, 3, item, False) == "2\t3\t0300111001601606068240\ta\\tb\t\\N\tinterval\tf\n"


def test_sqlite_rows_store_times_as_the_orm_does() -> None:
    assert SqliteFormatter().reading(1, 1, reading(), "1")[3] == "2023-11-30 15:00:00.000000"


def test_the_error_log_counts_all_and_keeps_the_first() -> None:
    log = ErrorLog(limit=2)
    for line in (1, 5, 9):
        log.add(line, "bad")
    assert log.count == 3 and [e.line for e in log.merged([LineError(3, "dup")])] == [1, 3]


def test_the_source_hashes_what_the_parser_left_unread() -> None:
    seen: list[int] = []
    source = HashingSource(io.BytesIO(b"x" * 300_000), total=300_000, progress=lambda done, _: seen.append(done))
    source.reader.read(10)
    assert source.sha256() == hashlib.sha256(b"x" * 300_000).hexdigest()
    assert source.size == 300_000 and seen[-1] == 300_000
