"""Turning the JSON events of a potatoes file into readings and row errors (see potatoes.py)."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from readings.formats.base import FileUnusable, Parsed, RowError
from readings.formats.build import reading
from readings.formats.potatoes_fields import Instants, identifier_of
from readings.formats.values import MAX_DECIMALS, MAX_INTEGER_DIGITS, json_number

MAX_EARLY_READINGS = 10_000  # readings written before their supply point's identifier, held until it comes
CONTAINER_STARTS = ("start_map", "start_array")
ENDS = ("end_map", "end_array")
NOT_A_VALUE = object()  # a field whose value was an object or an array
IDENTIFIER, READINGS = "identifier", "readings"
VALUE, READ_AT = "value", "read_at"
FIELDS = (VALUE, READ_AT)
# Depths, counting the top-level array as 1: a supply point's fields are read at 2, its readings
# array's items at 3 and a reading's fields at 4.
POINT, IN_READINGS, READING = 2, 3, 4


@dataclass(slots=True)
class _Point:
    number: int  # 1, 2, ... among supply points
    position: int
    identifier: str | None = None
    identifier_problem: str | None = "has no identifier"
    shape_problem: str | None = None
    problem: str | None = "has no identifier"  # either of the above: none of its readings is valid
    reported: bool = False  # its problem was yielded (once, as soon as it was known)
    seen_identifier: bool = False
    readings: int = 0
    early: list[tuple[int, int, dict[str, Any]]] = field(default_factory=list)

    def refuse(self) -> Iterator[Parsed]:
        self.problem = self.identifier_problem or self.shape_problem
        if self.problem is not None and not self.reported:
            self.reported = True
            yield RowError(self.position, f"{self.name()}: {self.problem}")

    def name(self) -> str:
        return f"supply point #{self.number}" + (f" ({self.identifier!r})" if self.identifier else "")


class SupplyPoints:
    """Follows the basic JSON events (event, value) of the top-level array, keeping the depth
    itself (an event carries no prefix: see quintet_shared.bounded.json); `items` yields what each
    event completes."""

    def __init__(self) -> None:
        self.position = 0
        self.count = 0
        self.point: _Point | None = None
        self.instants = Instants()

    def where(self) -> str:
        return f"supply point #{self.count}" if self.count else "the opening bracket"

    def items(self, events: Iterator[tuple[str, Any]]) -> Iterator[Parsed]:
        """Readings and row errors, in file order, from the events after the opening bracket. The
        events inside a reading are handled first and inline (millions per file); the rest below."""
        depth, key, field_name = 1, None, None
        in_readings = False  # the container open at depth 3 is the point's readings array
        fields: dict[str, Any] | None = None  # the reading being read
        point = self.point
        for event, value in events:
            if depth == READING and fields is not None:
                if event == "map_key":
                    field_name = value
                elif event == "end_map":
                    depth = IN_READINGS
                    item = self._close_reading(point, self.position, point.readings, fields)  # type: ignore[arg-type]
                    fields = None
                    if item is not None:
                        yield item
                elif event in CONTAINER_STARTS:
                    depth += 1
                    if field_name in FIELDS:
                        fields[field_name] = NOT_A_VALUE  # type: ignore[index]
                elif field_name in FIELDS:
                    fields[field_name] = value  # type: ignore[index]
                continue
            if event in CONTAINER_STARTS:
                depth += 1
                if depth == POINT:
                    point = self._open_point(event)
                elif depth == IN_READINGS and point is not None:
                    in_readings = key == READINGS and event == "start_array"
                    yield from self._point_field(key, event, NOT_A_VALUE)
                elif depth == READING and in_readings and point is not None:
                    fields = {} if event == "start_map" else None
                    yield from self._reading_opens(point, fields is not None)
            elif event in ENDS:
                depth -= 1
                if depth == 1 and point is not None:
                    yield from self._close_point(point)
                    point = self.point = None
                elif depth == POINT:
                    in_readings = False
            elif depth == POINT:
                if event == "map_key":
                    key = value
                else:
                    yield from self._point_field(key, event, value)
            elif depth == IN_READINGS and in_readings and point is not None:
                yield from self._reading_opens(point, False)  # a number, string, ... where a reading belongs
            elif depth == 1:
                self._open_point(event)  # raises: a supply point that is not an object

    def _open_point(self, event: str) -> _Point:
        if event != "start_map":
            raise FileUnusable(f"not a potatoes file: supply point #{self.count + 1} is not a JSON object")
        self.position += 1
        self.count += 1
        self.point = _Point(self.count, self.position)
        return self.point

    def _point_field(self, key: str | None, event: str, value: Any) -> Iterator[Parsed]:
        if key == IDENTIFIER:
            yield from self._identifier(event, value)
        elif key == READINGS and event != "start_array":
            yield from self._not_an_array()

    def _reading_opens(self, point: _Point, is_object: bool) -> Iterator[Parsed]:
        self.position += 1
        point.readings += 1
        if not is_object:
            yield RowError(self.position, f"{point.name()}, reading #{point.readings}: not a JSON object")

    def _identifier(self, event: str, value: Any) -> Iterator[Parsed]:
        point = self.point
        if point is None:
            return
        point.seen_identifier = True
        point.identifier, point.identifier_problem = identifier_of(NOT_A_VALUE if event in CONTAINER_STARTS else value)
        yield from point.refuse()

    def _not_an_array(self) -> Iterator[Parsed]:
        if self.point is not None:
            self.point.shape_problem = "has 'readings' that is not an array"
            yield from self.point.refuse()

    def _close_reading(self, point: _Point, position: int, number: int, fields: dict[str, Any]) -> Parsed | None:
        if point.seen_identifier:
            return self._checked(point, position, number, fields)
        if len(point.early) < MAX_EARLY_READINGS:
            point.early.append((position, number, fields))
            return None
        return RowError(
            position,
            f"{point.name()}, reading #{number}: comes before its supply point's identifier "
            f'(write "identifier" first when there are more than {MAX_EARLY_READINGS} readings)',
        )

    def _close_point(self, point: _Point) -> Iterator[Parsed]:
        yield from point.refuse()
        for position, number, fields in point.early:
            yield self._checked(point, position, number, fields)

    def _checked(self, point: _Point, position: int, number: int, fields: dict[str, Any]) -> Parsed:
        value = fields.get(VALUE)
        read_at = self.instants.known(fields.get(READ_AT))
        if point.problem is None and read_at is not None and type(value) is Decimal:
            text = str(value)  # plain notation unless the exponent is positive or very small
            whole, _dot, fraction = text.partition(".")
            if len(fraction) <= MAX_DECIMALS and len(whole) <= MAX_INTEGER_DIGITS and "E" not in text:
                return reading(position, point.identifier, read_at, text)  # type: ignore[arg-type]
        return self._checked_in_full(point, position, number, fields)

    def _checked_in_full(self, point: _Point, position: int, number: int, fields: dict[str, Any]) -> Parsed:
        where = f"{point.name()}, reading #{number}"
        if point.problem is not None or point.identifier is None:
            return RowError(position, f"{where}: belongs to the invalid supply point at position {point.position}")
        text, problem = json_number(fields.get(VALUE, NOT_A_VALUE))
        if VALUE not in fields:
            problem = "missing value"
        if text is None:
            return RowError(position, f"{where}: {problem}")
        read_at = self.instants.parse(fields.get(READ_AT)) if READ_AT in fields else "missing read_at"
        if isinstance(read_at, str):
            return RowError(position, f"{where}: {read_at}")
        return reading(position, point.identifier, read_at, text)
