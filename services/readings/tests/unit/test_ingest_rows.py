"""The checks and formats of staging rows (no database)."""

from datetime import UTC, datetime

import pytest

from readings.formats.base import ParsedReading
from readings.ingestion.rows import CopyFormatter, SqliteFormatter, check_value, meta_problem, row_problem
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
