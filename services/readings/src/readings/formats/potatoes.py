"""potatoes: a JSON array of supply points, each with its readings:

    [{"identifier": "120000003100", "readings": [{"value": 102.2, "read_at": "2023-11-02T00:00:00Z"}]}]

Parsed as a stream of JSON events (ijson, C backend), so memory stays constant however many supply
points or readings the file holds; values come as exact decimals, never floats. The events come
through the kit's bounded reader (quintet_shared.bounded.json): nesting, keys, strings and numbers
are bounded before anything here sees them, and a file that breaks a bound fails with the bound in
its reason ("line 1: nesting deeper than 64 levels"). The events carry no prefix (ijson's prefixes
cost O(depth) each: 120,000 levels took 24 GB); potatoes_events.py keeps the depth itself, at the
speed the prefixed parse had: 370,000 readings (20 MB) in 1.9-2.1 s of CPU against 2.0-2.3 s.

Positions: a JSON file has no meaningful lines, so `line` is the object's position in the file:
the supply points and readings are numbered 1, 2, 3... in the order they open (supply point #1 is
1, its readings 2, 3, ...; the next supply point follows them). Messages also name the object:
"supply point #2 ('120000003100'), reading #5". Field rules are in potatoes_fields.py.
"""

from collections.abc import Iterator
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

import ijson

from quintet_shared.bounded import InputLimitExceeded, JsonLimits, json_events
from readings.formats.base import FileUnusable, Parsed
from readings.formats.potatoes_events import SupplyPoints
from readings.formats.stream import open_text

# A reading is 4 levels deep, and its longest text a 64-character identifier. A reading is 6 tokens:
# 30 million is 5 million readings, more than the largest upload (200 MB) holds.
LIMITS = JsonLimits(max_events=30_000_000)
NOT_AN_ARRAY = "not a potatoes file: expected a JSON array of supply points ({...}), found"


class PotatoesParser:
    name = "potatoes"
    description = "JSON array of supply points, each with readings (value, read_at in RFC 3339)"

    def parse(self, stream: BinaryIO, *, timezone: ZoneInfo) -> Iterator[Parsed]:
        # Times carry their own offsets, so the client's zone is not needed.
        return _parse(open_text(stream))


def _parse(reader: BinaryIO) -> Iterator[Parsed]:
    events = json_events(reader, LIMITS)
    points = SupplyPoints()
    try:
        _open_array(events)
        yield from points.items(events)
    except ijson.JSONError as error:
        raise FileUnusable(f"not valid JSON after {points.where()}: {_short(error)}") from None
    except InputLimitExceeded as error:
        raise FileUnusable(f"{error} (in {points.where()})") from None


def _open_array(events: Iterator[tuple[str, Any]]) -> None:
    try:
        event, _value = next(events)
    except StopIteration:
        raise FileUnusable("the file is empty") from None
    except ijson.JSONError as error:
        raise FileUnusable(f"not valid JSON: {_short(error)}") from None
    except InputLimitExceeded as error:
        raise FileUnusable(str(error)) from None
    if event != "start_array":
        found = "an object" if event == "start_map" else "a single value"
        raise FileUnusable(f"{NOT_AN_ARRAY} {found}")


def _short(error: Exception) -> str:
    return str(error).strip().splitlines()[0][:200] if str(error).strip() else type(error).__name__
