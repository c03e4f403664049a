"""Building `ParsedReading`s cheaply: parsers make one per reading, a million per file.

The frozen dataclass's generated `__init__` sets each field through `object.__setattr__` and costs
about 1.3 µs on our CI machines; setting the slots through their descriptors does the same work in
about 0.8 µs. The result is an ordinary, equal, immutable `ParsedReading`.
"""

from datetime import datetime

from readings.formats.base import ParsedReading
from readings.models import MeterKind

_FIELDS = (
    "line",
    "identifier",
    "read_at",
    "value",
    "meter_serial",
    "manufacturer",
    "meter_kind",
    "interval_minutes",
    "time_code",
    "method",
)
_SET = tuple(ParsedReading.__dict__[name].__set__ for name in _FIELDS)
_new = object.__new__


def reading(
    line: int,
    identifier: str,
    read_at: datetime,
    value: str,
    meter_serial: str | None = None,
    manufacturer: str | None = None,
    meter_kind: MeterKind | None = None,
    interval_minutes: int | None = None,
    time_code: int | None = None,
    method: str | None = None,
) -> ParsedReading:
    item = _new(ParsedReading)
    s_line, s_ident, s_at, s_value, s_serial, s_manufacturer, s_kind, s_minutes, s_code, s_method = _SET
    s_line(item, line)
    s_ident(item, identifier)
    s_at(item, read_at)
    s_value(item, value)
    s_serial(item, meter_serial)
    s_manufacturer(item, manufacturer)
    s_kind(item, meter_kind)
    s_minutes(item, interval_minutes)
    s_code(item, time_code)
    s_method(item, method)
    return item
