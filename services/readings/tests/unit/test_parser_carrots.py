"""The carrots parser on the sample file and on every malformed case: the reported line and reason,
and that nothing of a bad record is yielded."""

import io
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from readings.formats.base import ParsedReading, RowError
from readings.formats.carrots import CarrotsParser
from readings.models import MeterKind

SAMPLE = Path(__file__).parents[1] / "fixtures" / "carrots" / "readings.txt"
HEAD = "020|0300111001601606068240\n022|0080-3211|三菱|01\n"  # lines 1 and 2: a supply point and its interval meter
REGISTER_HEAD = "020|0300111001601606083625\n022|F75A-00804|ソニー|02\n"


def parse(content: bytes | str, zone: str = "Asia/Tokyo") -> list[ParsedReading | RowError]:
    data = content.encode() if isinstance(content, str) else content
    return list(CarrotsParser().parse(io.BytesIO(data), timezone=ZoneInfo(zone)))


def readings(items: list) -> list[ParsedReading]:
    return [item for item in items if isinstance(item, ParsedReading)]


def errors(items: list) -> list[tuple[int, str]]:
    return [(item.line, item.message) for item in items if isinstance(item, RowError)]


def test_sample_file() -> None:
    with SAMPLE.open("rb") as stream:
        items = list(CarrotsParser().parse(stream, timezone=ZoneInfo("Asia/Tokyo")))
    assert errors(items) == []
    found = readings(items)
    assert {item.identifier for item in found} == {
        "0300111001601606068240",
        "0300111001601606083625",
        "0300111001601606083626",
    }
    intervals = [item for item in found if item.identifier == "0300111001601606068240"]
    assert len(intervals) == 48
    assert intervals[0].read_at == datetime(2023, 11, 30, 15, 0, tzinfo=UTC)
    assert [b.read_at - a.read_at for a, b in pairwise(intervals)] == [timedelta(minutes=30)] * 47
    assert [item.time_code for item in intervals] == list(range(1, 49))
    assert intervals[0] == ParsedReading(
        3, "0300111001601606068240", datetime(2023, 11, 30, 15, tzinfo=UTC), "0.03", "0080-3211", "三菱",
        MeterKind.INTERVAL, 30, 1, None,
    )  # fmt: skip
    registers = [item for item in found if item.identifier == "0300111001601606083625"]
    assert [(item.read_at, item.value, item.method) for item in registers] == [
        (datetime(2023, 9, 30, 15, tzinfo=UTC), "20131.0", "S"),
        (datetime(2023, 10, 31, 15, tzinfo=UTC), "20242.0", "S"),
        (datetime(2023, 11, 30, 15, tzinfo=UTC), "20418.0", "S"),
    ]
    assert {item.meter_kind for item in registers} == {MeterKind.ACCUMULATION}


def test_no_final_newline_crlf_and_blank_lines_are_fine() -> None:
    content = "\r\n" + HEAD.replace("\n", "\r\n") + "\r\n   \r\n024|20231201|01|0.03\r\n024|20231201|02|0.06"
    items = parse(content)
    assert errors(items) == []
    assert [(item.line, item.value, item.time_code) for item in readings(items)] == [(6, "0.03", 1), (7, "0.06", 2)]


CASES = {
    # name: (content, expected (line, reason fragment) pairs, lines whose readings must not appear)
    "reading before its meter": ("020|0300\n024|20231201|01|0.03\n", [(2, "before any meter (022)")]),
    "meter before any supply point": (
        "022|M1|X|01\n024|20231201|01|0.03\n",
        [(1, "meter (022) comes before any supply point"), (2, "comes before any supply point")],
    ),
    "register reading before any supply point": (
        "026|20231201000000|1.0|S\n",
        [(1, "register reading (026) comes before any supply point")],
    ),
    "unknown record type": (HEAD + "030|x\n", [(3, "unknown record type '030'")]),
    "wrong field count": (HEAD + "024|20231201|01\n", [(3, "has 3 fields, expected 4")]),
    "impossible date": (HEAD + "024|20231301|01|0.03\n", [(3, "bad date '20231301': no such day")]),
    "malformed date": (HEAD + "024|2023120a|01|0.03\n", [(3, "bad date '2023120a': expected YYYYMMDD")]),
    "time code 00": (HEAD + "024|20231201|00|0.03\n", [(3, "bad time code '00'")]),
    "time code 49": (HEAD + "024|20231201|49|0.03\n", [(3, "bad time code '49'")]),
    "time code not digits": (HEAD + "024|20231201|1a|0.03\n", [(3, "bad time code '1a'")]),
    "value not a number": (HEAD + "024|20231201|01|abc\n", [(3, "value 'abc' is not a number")]),
    "value out of range": (HEAD + "024|20231201|01|1234567890123\n", [(3, "out of range")]),
    "value with too many decimals": (HEAD + "024|20231201|01|0.12345\n", [(3, "more than 4 decimals")]),
    "interval reading under an accumulation meter": (
        REGISTER_HEAD + "024|20231201|01|0.03\n",
        [(3, "interval reading (024) under accumulation meter 'F75A-00804' (opened at line 2)")],
    ),
    "register reading under an interval meter": (
        HEAD + "026|20231201000000|1.0|S\n",
        [(3, "register reading (026) under interval meter '0080-3211' (opened at line 2)")],
    ),
    "invalid meter kind": (
        "020|0300\n022|M1|X|03\n024|20231201|01|0.03\n",
        [(2, "invalid meter kind '03'"), (3, "belongs to the invalid meter opened at line 2")],
    ),
    "empty identifier": (
        "020|\n022|M1|X|01\n024|20231201|01|0.03\n",
        [
            (1, "empty supply point identifier"),
            (2, "belongs to the invalid supply point opened at line 1"),
            (3, "belongs to the invalid supply point opened at line 1"),
        ],
    ),
    "empty serial": ("020|0300\n022||X|01\n024|20231201|01|0.03\n", [(2, "empty meter serial"), (3, "line 2")]),
    "register time that does not exist": (REGISTER_HEAD + "026|20231201250000|1.0|S\n", [(3, "no such time of day")]),
    "register method not a letter": (REGISTER_HEAD + "026|20231201000000|1.0|7\n", [(3, "invalid reading method '7'")]),
    "register value not a number": (REGISTER_HEAD + "026|20231201000000|x|S\n", [(3, "value 'x' is not a number")]),
}


@pytest.mark.parametrize("name", CASES)
def test_malformed_record(name: str) -> None:
    content, expected = CASES[name]
    valid_after = "020|9999\n022|OK|X|01\n024|20231201|05|1.5\n"  # parsing goes on after a bad record
    items = parse(content + valid_after)
    bad_lines = {line for line, _reason in expected}
    assert [line for line, _message in errors(items)] == sorted(bad_lines)
    for (line, message), (_line, reason) in zip(errors(items), expected, strict=True):
        assert reason in message, (line, message)
    assert [item.identifier for item in readings(items)] == ["9999"]
    assert not {item.line for item in readings(items)} & bad_lines


def test_invalid_utf8_line_is_reported_and_parsing_continues() -> None:
    items = parse(HEAD.encode() + b"024|20231201|01|0.0\xff\n020|\xff\xfe\n024|20231201|02|0.06\n")
    assert errors(items) == [
        (3, "the line is not valid UTF-8"),
        (4, "the line is not valid UTF-8"),
        (5, "interval reading (024) belongs to the invalid supply point opened at line 4"),
    ]
    assert readings(items) == []


@pytest.mark.parametrize("day", ["00010101", "99991231", "99991230"])
def test_a_date_near_the_calendar_edges_is_a_row_error_not_a_crash(day: str) -> None:
    items = parse(f"020|0300\n022|M1|X|01\n024|{day}|01|1.0\n022|M2|X|02\n026|{day}120000|5|A\n")
    problems = [(item.line, item.message) for item in items if isinstance(item, RowError)]
    reason = "out of range, a reading must lie between 0002-01-01 and 9998-12-01 (UTC)"
    assert problems == [(3, f"bad date {day!r}: {reason}"), (5, f"bad time '{day}120000': bad date {day!r}: {reason}")]
