"""Time codes and register times on daylight-saving change days (the rule is in formats/local_time.py):
a time code is the n-th half hour elapsed since the local midnight instant; a register time is a wall
time, refused inside the spring-forward gap and taken at its first occurrence when it repeats."""

import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from readings.formats.base import ParsedReading, RowError
from readings.formats.carrots import CarrotsParser

LONDON = ZoneInfo("Europe/London")


def parse(body: str) -> list:
    content = "020|GB0001\n022|M1|X|01\n" + body
    return list(CarrotsParser().parse(io.BytesIO(content.encode()), timezone=LONDON))


def starts(items: list) -> dict[int, datetime]:
    return {item.time_code: item.read_at for item in items if isinstance(item, ParsedReading)}


def test_spring_forward_day_has_46_half_hours() -> None:
    # 2024-03-31: clocks go from 01:00 GMT to 02:00 BST.
    items = parse("".join(f"024|20240331|{code:02d}|1\n" for code in (1, 2, 3, 46, 47, 48)))
    assert starts(items) == {
        1: datetime(2024, 3, 31, 0, 0, tzinfo=UTC),
        2: datetime(2024, 3, 31, 0, 30, tzinfo=UTC),
        3: datetime(2024, 3, 31, 1, 0, tzinfo=UTC),  # 02:00 BST: the third half hour of the day
        46: datetime(2024, 3, 31, 22, 30, tzinfo=UTC),  # 23:30 BST, the day's last
    }
    assert [(item.line, item.message) for item in items if isinstance(item, RowError)] == [
        (7, "time code 47 is past the end of 2024-03-31 in Europe/London, which has 46 half hours "
            "(a daylight-saving change)"),
        (8, "time code 48 is past the end of 2024-03-31 in Europe/London, which has 46 half hours "
            "(a daylight-saving change)"),
    ]  # fmt: skip


def test_fall_back_day_codes_are_distinct_half_hours() -> None:
    # 2024-10-27: clocks go from 02:00 BST back to 01:00 GMT; the day has 50 half hours.
    items = parse("".join(f"024|20241027|{code:02d}|1\n" for code in (1, 3, 5, 48)))
    assert starts(items) == {
        1: datetime(2024, 10, 26, 23, 0, tzinfo=UTC),  # local midnight, BST
        3: datetime(2024, 10, 27, 0, 0, tzinfo=UTC),  # 01:00 BST
        5: datetime(2024, 10, 27, 1, 0, tzinfo=UTC),  # 01:00 GMT, the repeated hour
        48: datetime(2024, 10, 27, 22, 30, tzinfo=UTC),  # 22:30 GMT; the format cannot name 23:00-24:00
    }


def test_register_times_in_the_gap_and_in_the_repeated_hour() -> None:
    content = "020|GB0001\n022|R1|X|02\n026|20240331013000|5.0|S\n026|20241027013000|6.0|S\n026|20240401000000|7|S\n"
    items = list(CarrotsParser().parse(io.BytesIO(content.encode()), timezone=LONDON))
    assert [(item.line, item.message) for item in items if isinstance(item, RowError)] == [
        (3, "time 2024-03-31T01:30:00 does not exist in Europe/London (daylight-saving gap)")
    ]
    assert [(item.line, item.read_at) for item in items if isinstance(item, ParsedReading)] == [
        (4, datetime(2024, 10, 27, 0, 30, tzinfo=UTC)),  # the first 01:30, still BST
        (5, datetime(2024, 3, 31, 23, 0, tzinfo=UTC)),  # an ordinary BST day
    ]
