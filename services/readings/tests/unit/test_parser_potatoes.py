"""The potatoes parser: the sample file, positions, every malformed field, unusable files, memory."""

import io
import json
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from readings.formats.base import FileUnusable, ParsedReading, RowError
from readings.formats.potatoes import PotatoesParser

SAMPLE = Path(__file__).parents[1] / "fixtures" / "potatoes" / "readings.json"
UTC_ZONE = ZoneInfo("UTC")
GOOD = {"value": 1.5, "read_at": "2023-11-02T00:00:00Z"}


def parse(data: bytes | str | list[Any]) -> list[ParsedReading | RowError]:
    if isinstance(data, list):
        data = json.dumps(data)
    raw = data.encode() if isinstance(data, str) else data
    return list(PotatoesParser().parse(io.BytesIO(raw), timezone=UTC_ZONE))


def errors(items: list) -> list[tuple[int, str]]:
    return [(item.line, item.message) for item in items if isinstance(item, RowError)]


def readings(items: list) -> list[ParsedReading]:
    return [item for item in items if isinstance(item, ParsedReading)]


def test_sample_file() -> None:
    with SAMPLE.open("rb") as stream:
        items = list(PotatoesParser().parse(stream, timezone=UTC_ZONE))
    assert items == [
        ParsedReading(2, "120000003100", datetime(2023, 11, 2, tzinfo=UTC), "102.2"),
        ParsedReading(3, "120000003100", datetime(2023, 10, 2, tzinfo=UTC), "93.8"),
        ParsedReading(4, "120000003100", datetime(2023, 9, 2, tzinfo=UTC), "91.0"),
        ParsedReading(5, "120000003100", datetime(2023, 8, 2, tzinfo=UTC), "122.6"),
    ]


def test_positions_number_supply_points_and_readings_in_file_order() -> None:
    items = parse([{"identifier": "A", "readings": [GOOD, GOOD]}, {"identifier": "B", "readings": [GOOD, {}]}])
    assert [(item.line, item.identifier) for item in readings(items)] == [(2, "A"), (3, "A"), (5, "B")]
    assert errors(items) == [(6, "supply point #2 ('B'), reading #2: missing value")]


def test_identifiers_keep_their_text() -> None:
    reading = '{"value": 1, "read_at": "2023-11-02T00:00:00Z"}'
    points = (
        f'{{"identifier": 120000003100, "readings": [{reading}]}}, {{"identifier": " 0012 ", "readings": [{reading}]}}'
    )
    items = parse(f"[{points}]")
    assert [(item.identifier, item.value) for item in readings(items)] == [("120000003100", "1"), ("0012", "1")]


def test_readings_written_before_the_identifier_are_kept() -> None:
    items = parse('[{"readings": [{"read_at": "2023-11-02T09:00:00+09:00", "value": 3.25}], "identifier": "X"}]')
    assert items == [ParsedReading(2, "X", datetime(2023, 11, 2, tzinfo=UTC), "3.25")]


def test_exact_decimals() -> None:
    values = ["0.0001", "999999999999.9999", "1E+3", "2.50000", "-1.5"]
    listed = ", ".join(f'{{"value": {value}, "read_at": "2023-11-02T00:00:00Z"}}' for value in values)
    items = parse(f'[{{"identifier": "A", "readings": [{listed}]}}]')
    assert [item.value for item in readings(items)] == ["0.0001", "999999999999.9999", "1000", "2.5000", "-1.5"]


READING_CASES = {
    "naive time": ({"value": 1, "read_at": "2023-11-02T00:00:00"}, "not an RFC 3339 date-time"),
    "date only": ({"value": 1, "read_at": "2023-11-02"}, "not an RFC 3339 date-time"),
    "impossible date": ({"value": 1, "read_at": "2023-02-30T00:00:00Z"}, "not a valid date-time"),
    "time not a string": ({"value": 1, "read_at": 20231102}, "read_at must be an RFC 3339 date-time string"),
    "missing read_at": ({"value": 1}, "missing read_at"),
    "missing value": ({"read_at": "2023-11-02T00:00:00Z"}, "missing value"),
    "value as a string": ({"value": "1.5", "read_at": "2023-11-02T00:00:00Z"}, "value must be a JSON number"),
    "value null": ({"value": None, "read_at": "2023-11-02T00:00:00Z"}, "value must be a JSON number"),
    "value an object": ({"value": {"kwh": 1}, "read_at": "2023-11-02T00:00:00Z"}, "value must be a JSON number"),
    "too many decimals": ({"value": 1.23456, "read_at": "2023-11-02T00:00:00Z"}, "more than 4 decimals"),
    "out of range": ({"value": 1e13, "read_at": "2023-11-02T00:00:00Z"}, "out of range"),
    "reading not an object": (7, "not a JSON object"),
}


@pytest.mark.parametrize("name", READING_CASES)
def test_malformed_reading(name: str) -> None:
    bad, reason = READING_CASES[name]
    items = parse([{"identifier": "A", "readings": [GOOD, bad, GOOD]}])
    assert [item.line for item in readings(items)] == [2, 4]
    [(line, message)] = errors(items)
    assert line == 3
    assert message.startswith("supply point #1 ('A'), reading #2: ")
    assert reason in message


def test_naive_time_says_why() -> None:
    [error] = errors(parse('[{"identifier": "A", "readings": [{"value": 1, "read_at": "2023-11-02T00:00:00+0900"}]}]'))
    assert "not an RFC 3339 date-time" in error[1]


@pytest.mark.parametrize(
    ("identifier", "reason"),
    [("", "empty identifier"), ("x" * 65, "longer than 64"), (1.5, "must be a string"), (None, "must be a string"),
     (-3, "must be a string"), (["a"], "must be a string")],
)  # fmt: skip
def test_invalid_supply_point_refuses_all_its_readings(identifier: Any, reason: str) -> None:
    items = parse([{"identifier": identifier, "readings": [GOOD, GOOD]}, {"identifier": "B", "readings": [GOOD]}])
    assert [(item.line, item.identifier) for item in readings(items)] == [(5, "B")]
    assert [line for line, _ in errors(items)] == [1, 2, 3]
    assert reason in errors(items)[0][1]
    assert "belongs to the invalid supply point at position 1" in errors(items)[1][1]


def test_missing_identifier_and_readings_not_an_array() -> None:
    items = parse([{"readings": [GOOD]}, {"identifier": "B", "readings": {"value": 1}}])
    assert errors(items) == [
        (1, "supply point #1: has no identifier"),
        (2, "supply point #1, reading #1: belongs to the invalid supply point at position 1"),
        (3, "supply point #2 ('B'): has 'readings' that is not an array"),
    ]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "the file is empty"),
        (b"  \n ", "the file is empty"),
        (b'{"identifier": "A", "readings": []}', "expected a JSON array of supply points"),
        (b"42", "expected a JSON array"),
        (b"[1, 2]", "supply point #1 is not a JSON object"),
        (b"[{\x00}]", "binary"),
        (b"020|0300111001601606068240\n", "expected a JSON array"),
        (b"hello", "not valid JSON"),
        (b'[{"identifier": "A", "readings": [{"value": 1, "read_at": "2023-11-02T00:00:00Z"}', "not valid JSON"),
    ],
    ids=[
        "empty",
        "blank",
        "an object",
        "a number",
        "array of numbers",
        "binary",
        "a carrots file",
        "text",
        "truncated",
    ],
)
def test_unusable_file(data: bytes, reason: str) -> None:
    with pytest.raises(FileUnusable) as raised:
        parse(data)
    assert reason in str(raised.value)


def test_memory_stays_constant_whatever_the_file_size() -> None:
    count = 200_000

    def chunks() -> Iterator[bytes]:
        yield b'[{"identifier": "A", "readings": ['
        reading = b'{"value": 12.5, "read_at": "2023-11-02T00:00:00Z"}'
        for index in range(count):
            yield (b"," if index else b"") + reading
        yield b"]}]"

    class Generated(io.RawIOBase):
        def __init__(self) -> None:
            self._chunks, self._pending = chunks(), b""

        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:  # type: ignore[override]
            while not self._pending:
                self._pending = next(self._chunks, b"")
                if not self._pending:
                    return 0
            size = min(len(buffer), len(self._pending))
            buffer[:size], self._pending = self._pending[:size], self._pending[size:]
            return size

    tracemalloc.start()
    try:
        seen = sum(1 for _ in PotatoesParser().parse(io.BufferedReader(Generated()), timezone=UTC_ZONE))
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert seen == count
    assert peak < 2 * 1024 * 1024, f"peak {peak} bytes for a {count * 52}-byte file"


def test_a_deeply_nested_file_is_unusable_naming_the_depth_limit_in_linear_time() -> None:
    """Defect: 120,000 levels (720 KB) drove ijson's prefixes to 24 GB and killed the platform."""
    deep = b'[{"identifier":"x","readings":[' + b'{"a":' * 120_000 + b"1" + b"}" * 120_000 + b"]}]"
    tracemalloc.start()
    try:
        with pytest.raises(FileUnusable) as raised:
            parse(deep)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert str(raised.value) == "line 1: nesting deeper than 64 levels (in supply point #1)"
    assert peak < 16 * 1024 * 1024


def test_a_nested_reading_field_within_the_depth_limit_is_a_row_error() -> None:
    items = parse([{"identifier": "A", "readings": [{"value": {"a": [[1]]}, "read_at": GOOD["read_at"]}]}])
    assert errors(items) == [(2, "supply point #1 ('A'), reading #1: value must be a JSON number")]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b'[{"identifier": "A", "readings": [{"value": ' + b"1" * 5000 + b"}]}]", "a number longer than 4300 digits"),
        (b'[{"identifier": "' + b"a" * 70_000 + b'"}]', "a string longer than 65536 characters"),
        (b'[{"' + b"k" * 300 + b'": 1}]', "a key longer than 256 characters"),
    ],
    ids=["number", "string", "key"],
)
def test_an_oversized_token_is_unusable_naming_its_limit_not_a_crash(data: bytes, reason: str) -> None:
    """A 5,000-digit number raised SystemError from inside ijson: the job crashed and was retried."""
    with pytest.raises(FileUnusable) as raised:
        parse(data)
    assert reason in str(raised.value)


EDGE_TIMES = ["0001-01-01T00:00:00+09:00", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00Z", "9999-06-01T00:00:00Z"]


@pytest.mark.parametrize("read_at", EDGE_TIMES)
def test_a_read_at_near_the_calendar_edges_is_a_row_error_not_a_crashed_job(read_at: str) -> None:
    """Defect: the OverflowError of its UTC conversion crashed the job five times and lost the file."""
    items = parse([{"identifier": "A", "readings": [{"value": 1, "read_at": read_at}, GOOD]}])
    assert errors(items) == [
        (2, f"supply point #1 ('A'), reading #1: read_at {read_at!r} is out of range: "
            "a reading must lie between 0002-01-01 and 9998-12-01 (UTC)")
    ]  # fmt: skip
    assert len(readings(items)) == 1
