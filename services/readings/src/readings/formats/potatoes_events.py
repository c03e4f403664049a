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
READING = "item.readings.item"
VALUE = "item.readings.item.value"  # fields are keyed by their prefix: no string building per event
READ_AT = "item.readings.item.read_at"
FIELDS = (VALUE, READ_AT)


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
    """Follows the events of the top-level array; `feed` yields what each event completes."""

    def __init__(self) -> None:
        self.position = 0
        self.count = 0
        self.point: _Point | None = None
        self.fields: dict[str, Any] | None = None  # the reading being read
        self.instants = Instants()

    def where(self) -> str:
        return f"supply point #{self.count}" if self.count else "the opening bracket"

    def items(self, events: Iterator[tuple[str, str, Any]]) -> Iterator[Parsed]:
        """Readings and row errors, in file order. The six events of a plain reading are handled
        inline, with the reading's fields in a local (millions per file); the rest go to `_other`."""
        fields: dict[str, Any] | None = None
        for prefix, event, value in events:
            if prefix == READING:
                if event == "map_key":
                    continue
                point = self.point
                if event == "start_map" and point is not None:
                    self.position += 1
                    point.readings += 1
                    fields = {}
                    continue
                if event == "end_map" and fields is not None and point is not None:
                    item = self._close_reading(point, self.position, point.readings, fields)
                    fields = None
                    if item is not None:
                        yield item
                    continue
            elif prefix in FIELDS:
                if fields is not None and event not in ENDS:
                    fields[prefix] = NOT_A_VALUE if event in CONTAINER_STARTS else value
                continue
            self.fields = fields
            yield from self._other(prefix, event, value)
            fields = self.fields

    def _other(self, prefix: str, event: str, value: Any) -> Iterator[Parsed]:
        if prefix == READING:
            yield from self._reading_event(event)
        elif prefix == "item":
            yield from self._point_event(event)
        elif prefix == "item.identifier":
            yield from self._identifier(event, value)
        elif prefix == "item.readings" and event not in ENDS:
            yield from self._readings_event(event)

    def _point_event(self, event: str) -> Iterator[Parsed]:
        if event == "start_map":
            self.position += 1
            self.count += 1
            self.point = _Point(self.count, self.position)
        elif event == "end_map" and self.point is not None:
            yield from self._close_point(self.point)
            self.point = None
        elif event != "map_key":
            raise FileUnusable(f"not a potatoes file: supply point #{self.count + 1} is not a JSON object")

    def _identifier(self, event: str, value: Any) -> Iterator[Parsed]:
        point = self.point
        if point is None or event in ENDS:
            return
        point.seen_identifier = True
        point.identifier, point.identifier_problem = identifier_of(NOT_A_VALUE if event in CONTAINER_STARTS else value)
        yield from point.refuse()

    def _readings_event(self, event: str) -> Iterator[Parsed]:
        if event != "start_array" and self.point is not None:
            self.point.shape_problem = "has 'readings' that is not an array"
            yield from self.point.refuse()

    def _reading_event(self, event: str) -> Iterator[Parsed]:
        point = self.point
        if point is None:
            return
        if event in CONTAINER_STARTS:
            self.position += 1
            point.readings += 1
            self.fields = {} if event == "start_map" else None
            if event == "start_array":
                yield RowError(self.position, f"{point.name()}, reading #{point.readings}: not a JSON object")
        elif event not in ENDS and event != "map_key":  # a number, string, ... where a reading belongs
            self.position += 1
            point.readings += 1
            yield RowError(self.position, f"{point.name()}, reading #{point.readings}: not a JSON object")

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
