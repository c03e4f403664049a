"""The carrots records and their nesting: 020 supply point > 022 meter > 024 / 026 readings.

`CarrotsState` follows the open supply point and meter. Each handler takes a line's fields (bytes)
and returns a reading, a row error, or None. Once a 020 or 022 record is invalid, every record
under it is an error too, so that nothing of a bad record is ever stored.
"""

from dataclasses import dataclass

from readings.formats.base import Parsed, RowError
from readings.formats.build import reading
from readings.formats.local_time import LocalCalendar, LocalDay
from readings.formats.values import MAX_DECIMALS, MAX_INTEGER_DIGITS, decimal_problem
from readings.models import MeterKind

MAX_IDENTIFIER = 64
MAX_MANUFACTURER = 200
MAX_WHOLE_DIGITS = MAX_INTEGER_DIGITS
METER_KINDS = {b"01": MeterKind.INTERVAL, b"02": MeterKind.ACCUMULATION}
TIME_CODES = {f"{n:02d}".encode(): n for n in range(1, 49)}
INTERVAL = MeterKind.INTERVAL
ACCUMULATION = MeterKind.ACCUMULATION


@dataclass(frozen=True, slots=True)
class OpenMeter:
    identifier: str  # its supply point
    serial: str
    manufacturer: str | None
    kind: MeterKind
    line: int


class CarrotsState:
    def __init__(self, calendar: LocalCalendar) -> None:
        self.calendar = calendar
        self.point: str | None = None
        self.point_line = 0
        self.point_problem: str | None = None  # why records under the open supply point are refused
        self.meter: OpenMeter | None = None
        self.meter_problem: str | None = None  # same for the open meter

    def supply_point(self, line: int, fields: list[bytes]) -> Parsed | None:
        self.meter, self.meter_problem, self.point_line = None, None, line
        identifier, problem = _text(fields, 1, "supply point identifier", MAX_IDENTIFIER)
        if problem is None and len(fields) != 2:
            problem = f"supply point (020) has {len(fields)} fields, expected 2"
        if problem is not None:
            self.point, self.point_problem = None, f"belongs to the invalid supply point opened at line {line}"
            return RowError(line, problem)
        self.point, self.point_problem = identifier, None
        return None

    def meter_record(self, line: int, fields: list[bytes]) -> Parsed | None:
        self.meter = None
        if self.point is None:
            self.meter_problem = self.point_problem or "comes before any supply point (020)"
            return RowError(line, f"meter (022) {self.meter_problem}")
        self.meter_problem = f"belongs to the invalid meter opened at line {line}"
        if len(fields) != 4:
            return RowError(line, f"meter (022) has {len(fields)} fields, expected 4")
        serial, problem = _text(fields, 1, "meter serial", MAX_IDENTIFIER)
        manufacturer, manufacturer_problem = _text(fields, 2, "manufacturer", MAX_MANUFACTURER, required=False)
        problem = problem or manufacturer_problem
        kind = METER_KINDS.get(fields[3])
        if problem is None and kind is None:
            shown = fields[3].decode("utf-8", "replace")
            problem = f"invalid meter kind {shown!r}: expected 01 (interval) or 02 (accumulation)"
        if problem is not None or kind is None:
            return RowError(line, problem or "invalid meter")
        self.meter, self.meter_problem = OpenMeter(self.point, serial, manufacturer or None, kind, line), None
        return None

    def interval(self, line: int, fields: list[bytes]) -> Parsed:
        """An interval reading; the common, valid case is checked inline (a million per file)."""
        meter = self.meter
        if meter is not None and meter.kind is INTERVAL and len(fields) == 4:
            day = self.calendar.days.get(fields[1])
            code = TIME_CODES.get(fields[2])
            raw = fields[3]
            whole, dot, fraction = raw.partition(b".")
            if (
                type(day) is LocalDay
                and code is not None
                and code <= len(day.starts)
                and whole.isdigit()
                and len(whole) <= MAX_WHOLE_DIGITS
                and (not dot or (fraction.isdigit() and len(fraction) <= MAX_DECIMALS))
            ):
                return reading(
                    line, meter.identifier, day.starts[code - 1], raw.decode("ascii"),
                    meter.serial, meter.manufacturer, INTERVAL, 30, code,
                )  # fmt: skip
        return self._interval_checked(line, fields)

    def _interval_checked(self, line: int, fields: list[bytes]) -> Parsed:
        meter = self.meter
        if meter is None or meter.kind is not INTERVAL:
            return RowError(line, self._misplaced("interval reading (024)", INTERVAL))
        if len(fields) != 4:
            return RowError(line, f"interval reading (024) has {len(fields)} fields, expected 4")
        day = self.calendar.day(fields[1])
        if isinstance(day, str):
            return RowError(line, day)
        code = TIME_CODES.get(fields[2])
        if code is None or code > len(day.starts):
            return RowError(line, self._code_problem(fields[2], day))
        value = _value(fields[3])
        if isinstance(value, RowError):
            return RowError(line, value.message)
        return reading(
            line, meter.identifier, day.starts[code - 1], value,
            meter.serial, meter.manufacturer, INTERVAL, 30, code,
        )  # fmt: skip

    def register(self, line: int, fields: list[bytes]) -> Parsed:
        meter = self.meter
        if meter is None or meter.kind is not ACCUMULATION:
            return RowError(line, self._misplaced("register reading (026)", ACCUMULATION))
        if len(fields) != 4:
            return RowError(line, f"register reading (026) has {len(fields)} fields, expected 4")
        read_at = self.calendar.wall_time(fields[1])
        if isinstance(read_at, str):
            return RowError(line, read_at)
        value = _value(fields[2])
        if isinstance(value, RowError):
            return RowError(line, value.message)
        method = fields[3]
        if len(method) != 1 or not method.isalpha():
            shown = method.decode("utf-8", "replace")
            return RowError(line, f"invalid reading method {shown!r}: expected one letter")
        return reading(
            line, meter.identifier, read_at, value,
            meter.serial, meter.manufacturer, ACCUMULATION, None, None, method.decode(),
        )  # fmt: skip

    def _misplaced(self, what: str, wanted: MeterKind) -> str:
        if self.meter is not None:
            meter = self.meter
            return (
                f"{what} under {meter.kind.value} meter {meter.serial!r} (opened at line {meter.line}): "
                f"only {'interval readings (024)' if meter.kind is INTERVAL else 'register readings (026)'} "
                f"belong to it"
            )
        if self.meter_problem is not None:
            return f"{what} {self.meter_problem}"
        if self.point_problem is not None:
            return f"{what} {self.point_problem}"
        if self.point is None:
            return f"{what} comes before any supply point (020)"
        return f"{what} comes before any meter (022) of the supply point opened at line {self.point_line}"

    def _code_problem(self, code: bytes, day: LocalDay) -> str:
        shown = code.decode("utf-8", "replace")
        number = TIME_CODES.get(code)
        if number is None:
            return f"bad time code {shown!r}: expected 01 to 48"
        return (
            f"time code {shown} is past the end of {day.label} in {self.calendar.zone.key}, "
            f"which has {day.half_hours} half hours (a daylight-saving change)"
        )


def _text(
    fields: list[bytes], index: int, what: str, limit: int, *, required: bool = True
) -> tuple[str, None] | tuple[None, str]:
    if index >= len(fields):
        return None, f"missing {what}"
    try:
        text = fields[index].decode("utf-8").strip()
    except UnicodeDecodeError:
        return None, "the line is not valid UTF-8"
    if required and not text:
        return None, f"empty {what}"
    if len(text) > limit:
        return None, f"{what} is longer than {limit} characters"
    return text, None


def _value(raw: bytes) -> str | RowError:
    """The value's text, or a RowError (line 0, replaced by the caller) saying why it is refused."""
    whole, dot, fraction = raw.partition(b".")
    # The common shape, checked without decoding: digits, and at most four decimals.
    if whole.isdigit() and len(whole) <= MAX_WHOLE_DIGITS and (not dot or (fraction.isdigit() and len(fraction) <= 4)):
        return raw.decode("ascii")
    text = raw.decode("utf-8", "replace")
    problem = decimal_problem(text)
    return RowError(0, problem) if problem else text
