"""A forecasts or subscribers CSV read as a stream, one record a line, into checked rows.

- The first line is the header (csv_format.py); without a usable one the file is refused as a whole.
- UTF-8, LF or CRLF; fields may be quoted as in RFC 4180 (`"a, b"`, `""` for a quote inside), but a
  quoted field cannot span lines. Empty lines are skipped.
- A line longer than MAX_LINE_BYTES (4 KiB, twenty times the longest record: two forecast texts of
  200 characters) refuses the file: it is not a file of these records (a 10 MB line is a binary or
  a mangled file), and the rest of it is not read. It is never held in memory (quintet_shared.bounded).
- `ts` is `YYYY-MM-DD HH:MM:SS` on the client's clock (its time zone in client_settings); `lat`
  and `lon` decimal degrees, in range; `msisdn` 8 to 15 digits; a plan `11`, `21`, `daily` or
  `weekly`; a `gid` 1 to 64 characters without `/`; `fcat24` and `fcat48` up to 200 characters.
A bad row is a `LineError` naming its line and why; the file goes on.

A row is a plain tuple, made a million times a file: `(line, key, at, *values)`: `key` the gid or
msisdn, `at` the UTC text of `ts` ("" for forecasts), and the kind's values (`ROW_VALUES`).
Coordinates come as text (checked, ASCII, spaces dropped: PostgreSQL's COPY reads the very number
float() did) and as numbers.
"""

import csv
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

from quintet_shared.bounded import MAX_LINE_BYTES, line_blocks
from quintet_shared.bulk import FileUnusable, LineError
from subscriptions import csv_values as check
from subscriptions.csv_format import Header, Kind, header_text, parse_header
from subscriptions.csv_values import LocalTimes

Row = tuple[Any, ...]
ROW_VALUES = {
    Kind.FORECASTS: ("gid", "lat_text", "lon_text", "latitude", "longitude", "fcat24", "fcat48"),
    Kind.ADDITIONS: ("lat_text", "lon_text", "latitude", "longitude", "plan", "local_date"),
    Kind.CANCELLATIONS: (),
    Kind.UPDATES: ("lat_text", "lon_text", "latitude", "longitude"),
}


class CsvReader:
    """Reads one kind of file for one client: `times` its clock, `today` its local date (ISO): an
    addition is billed from the later of its own local date and today (never for a past day)."""

    def __init__(self, kind: Kind, times: LocalTimes, today: str) -> None:
        self.kind = kind
        self.times = times
        self.today = today
        self._row: Callable[[int, list[str]], Row | str] = getattr(self, f"_{kind.value}")

    def rows(self, reader: BinaryIO) -> Iterator[Row | LineError]:
        """Rows and row errors in file order. Raises FileUnusable for a file that cannot be read."""
        number = 0
        header: Header | None = None
        for lines in line_blocks(reader, MAX_LINE_BYTES):
            for raw in lines:
                number += 1
                text = _decoded(raw, number)
                if header is None:
                    header = self._header(text, number)
                    continue
                if type(text) is not str:
                    yield text  # type: ignore[misc]
                    continue
                if not text:
                    continue
                fields = _fields(text)
                if type(fields) is str:
                    yield LineError(number, fields)
                    continue
                if len(fields) != header.width:
                    yield LineError(number, f"expected {header.width} fields as the header has, found {len(fields)}")
                    continue
                row = self._row(number, [fields[i] for i in header.positions])
                yield LineError(number, row) if type(row) is str else row  # type: ignore[misc]
        if header is None:
            raise FileUnusable(f"the file is empty: the first line must be the header {header_text(self.kind)}")

    def _header(self, text: "str | LineError", number: int) -> Header:
        if type(text) is not str:
            raise FileUnusable(f"line {number} must be the header: {text.message}", line=number)  # type: ignore[union-attr]
        if not text.strip():
            raise FileUnusable(f"line {number} is empty: it must be the header {header_text(self.kind)}", line=number)
        fields = _fields(text)
        if type(fields) is str:
            raise FileUnusable(f"line {number} must be the header: {fields}", line=number)
        return parse_header(self.kind, fields, number)  # type: ignore[arg-type]

    def _location(self, lat_text: str, lon_text: str) -> tuple[str, str, float, float] | str:
        latitude = check.coordinate(lat_text, 90.0)
        if latitude is None:
            return f"lat {_shown(lat_text)} is not a number from -90 to 90"
        longitude = check.coordinate(lon_text, 180.0)
        if longitude is None:
            return f"lon {_shown(lon_text)} is not a number from -180 to 180"
        return lat_text.strip(), lon_text.strip(), latitude, longitude

    def _subscriber(self, msisdn_text: str, ts_text: str) -> tuple[str, str] | str:
        msisdn = check.msisdn(msisdn_text)
        if msisdn is None:
            return f"msisdn {_shown(msisdn_text)} is not 8 to 15 digits with the country code"
        at = self.times.utc(ts_text)
        if at is None:
            return f"ts {_shown(ts_text)} is not a time YYYY-MM-DD HH:MM:SS"
        return msisdn, at

    def _forecasts(self, line: int, fields: list[str]) -> Row | str:
        gid_text, lat_text, lon_text, fcat24, fcat48 = fields
        gid = check.gid(gid_text)
        if gid is None:
            return f"gid {_shown(gid_text)} is not 1 to {check.MAX_GID} characters without '/'"
        location = self._location(lat_text, lon_text)
        if isinstance(location, str):
            return location
        for name, value in (("fcat24", fcat24), ("fcat48", fcat48)):
            if check.category(value) is None:
                return f"{name} is longer than {check.MAX_CATEGORY} characters or holds control characters"
        return (line, gid, "", gid, *location, fcat24, fcat48)

    def _additions(self, line: int, fields: list[str]) -> Row | str:
        msisdn_text, ts_text, lat_text, lon_text, plan_text = fields
        subscriber = self._subscriber(msisdn_text, ts_text)
        if isinstance(subscriber, str):
            return subscriber
        location = self._location(lat_text, lon_text)
        if isinstance(location, str):
            return location
        plan = check.plan(plan_text)
        if plan is None:
            return f"plan {_shown(plan_text)} is not 11 (daily) or 21 (weekly)"
        msisdn, at = subscriber
        # The local date of ts is the first 10 characters of ts as written.
        return (line, msisdn, at, *location, plan.value, max(ts_text.strip()[:10], self.today))

    def _cancellations(self, line: int, fields: list[str]) -> Row | str:
        subscriber = self._subscriber(*fields)
        if isinstance(subscriber, str):
            return subscriber
        return (line, *subscriber)

    def _updates(self, line: int, fields: list[str]) -> Row | str:
        msisdn_text, ts_text, lat_text, lon_text = fields
        subscriber = self._subscriber(msisdn_text, ts_text)
        if isinstance(subscriber, str):
            return subscriber
        location = self._location(lat_text, lon_text)
        if isinstance(location, str):
            return location
        return (line, *subscriber, *location)


def _decoded(line: bytes, number: int) -> "str | LineError":
    if line.startswith(b"\n"):  # quintet_shared.bounded's mark of a line cut at the limit
        raise FileUnusable(
            f"line {number} is longer than {MAX_LINE_BYTES} bytes: not a file of these records "
            "(nothing was read past it)",
            line=number,
        )
    try:
        text = line.decode()
    except UnicodeDecodeError as error:
        return LineError(number, f"not UTF-8 text (byte {error.start + 1} of the line)")
    if "\x00" in text:
        return LineError(number, "NUL characters are not accepted")
    return text


def _fields(text: str) -> list[str] | str:
    if '"' not in text:
        return text.split(",")
    try:
        return next(csv.reader((text,), strict=True))
    except csv.Error as error:
        return f"malformed quoting: {error}"


def _shown(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:40] + "...")
