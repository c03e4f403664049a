"""One parsed reading as a staging row: checked for what the database would refuse, then formatted.

The checks here are the ones that would otherwise fail a whole statement (a value too large for
numeric(16,4), a NUL that PostgreSQL cannot store), so that they are a row error, not a crash.
"""

import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from quintet_shared.bulk import COPY_NULL, copy_text
from readings.formats.base import ParsedReading

MAX_TEXT = 64  # identifiers and serials (models.py); manufacturer names may be longer
MAX_NAME = 200
_PLAIN_VALUE = re.compile(r"-?\d{1,12}(?:\.\d{0,4})?")
_CACHE_LIMIT = 10_000  # the caches below keep recent keys only, so memory stays bounded
NULL = COPY_NULL
_SMALL: dict[int | None, str] = {None: NULL, **{number: str(number) for number in range(1441)}}  # codes, minutes


def check_value(value: str) -> str | None:
    """The value as numeric(16,4) accepts it, or None when it does not fit exactly."""
    if _PLAIN_VALUE.fullmatch(value):
        return value
    try:
        number = Decimal(value.strip())
    except InvalidOperation:
        return None
    # magnitude first: quantize raises for a number with more digits than the context holds
    if not number.is_finite() or abs(number) >= 10**12 or number != number.quantize(Decimal("0.0001")):
        return None
    return format(number, "f")


def meta_problem(reading: ParsedReading) -> str | None:
    """Why the reading's supply point or meter cannot be stored, or None. The same identifiers
    repeat over many rows, so callers check them only when they change."""
    texts = (reading.identifier, reading.meter_serial or "", reading.manufacturer or "")
    if any("\x00" in text for text in texts):
        return "NUL characters are not accepted"
    if not reading.identifier or len(reading.identifier) > MAX_TEXT:
        return f"supply point identifier must be 1 to {MAX_TEXT} characters"
    if reading.meter_serial is not None and (len(reading.meter_serial) > MAX_TEXT or reading.meter_kind is None):
        return f"meter serial must be at most {MAX_TEXT} characters and the meter must have a kind"
    if reading.manufacturer is not None and len(reading.manufacturer) > MAX_NAME:
        return f"manufacturer name must be at most {MAX_NAME} characters"
    return None


def row_problem(reading: ParsedReading) -> str | None:
    """Why this reading's own fields cannot be stored, or None."""
    if reading.read_at.tzinfo is None:
        return "time without a time zone"
    method = reading.method
    if method is not None and (len(method) != 1 or method == "\x00"):
        return "reading method must be one letter"
    return None


class CopyFormatter:
    """Staging rows in PostgreSQL's COPY text format. A reading row carries only what varies per
    reading; the supply point and meter are written once per run (a group row). Times, methods
    and small numbers repeat from row to row, so their text forms are cached."""

    def __init__(self) -> None:
        self._texts: dict[str | None, str] = {None: NULL}
        self._times: dict[datetime, str] = {}

    def text(self, value: str | None) -> str:
        cached = self._texts.get(value)
        if cached is None:
            if len(self._texts) > _CACHE_LIMIT:
                self._texts = {None: NULL}
            cached = self._texts[value] = copy_text(value)  # type: ignore[arg-type]
        return cached

    def time(self, value: datetime) -> str:
        cached = self._times.get(value)
        if cached is None:
            if len(self._times) > _CACHE_LIMIT:
                self._times.clear()
            cached = self._times[value] = value.astimezone(UTC).isoformat()
        return cached

    def reading(self, seq: int, grp: int, r: ParsedReading, value: str) -> str:
        return (
            f"{seq}\t{r.line}\t{grp}\t{self.time(r.read_at)}\t{value}\t"
            f"{_int(r.interval_minutes)}\t{_int(r.time_code)}\t{self.text(r.method)}\n"
        )

    def group(self, grp: int, first_seq: int, r: ParsedReading, revisit: bool) -> str:
        text, kind = self.text, None if r.meter_kind is None else str(r.meter_kind.value)
        meter = f"{text(r.meter_serial)}\t{text(r.manufacturer)}\t{text(kind)}"
        return f"{grp}\t{first_seq}\t{text(r.identifier)}\t{meter}\t{'t' if revisit else 'f'}\n"


def _int(value: int | None) -> str:
    return _SMALL.get(value) or str(value)


class SqliteFormatter:
    """Staging rows as SQLite parameters: times in the text form SQLAlchemy stores (naive UTC,
    microseconds), so that the set-based insert writes exactly what the ORM would."""

    def __init__(self) -> None:
        self._times: dict[datetime, str] = {}

    def time(self, value: datetime) -> str:
        cached = self._times.get(value)
        if cached is None:
            if len(self._times) > _CACHE_LIMIT:
                self._times.clear()
            cached = self._times[value] = value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        return cached

    def reading(self, seq: int, grp: int, r: ParsedReading, value: str) -> tuple[object, ...]:
        return (seq, r.line, grp, self.time(r.read_at), value, r.interval_minutes, r.time_code, r.method)

    def group(self, grp: int, first_seq: int, r: ParsedReading, revisit: bool) -> tuple[object, ...]:
        kind = None if r.meter_kind is None else str(r.meter_kind.value)
        return (grp, first_seq, r.identifier, r.meter_serial, r.manufacturer, kind, revisit)
