"""carrots: UTF-8, `|`-delimited, one record per line, nested by order (see carrots_records.py).

    020|<supply point identifier>
    022|<meter serial>|<manufacturer>|<01 interval | 02 accumulation>
    024|<YYYYMMDD>|<time code 01..48>|<kWh>            time code n: local midnight + (n - 1) * 30 min
    026|<YYYYMMDDHHMMSS>|<register value>|<method letter>

Times are the client's local time (see local_time.py for daylight saving). Lines are numbered from
1; blank lines are skipped; CRLF endings and a missing final newline are fine. The file is read
line by line with a byte limit, so a huge line costs no memory: it is reported and skipped.
"""

from collections.abc import Callable, Iterator
from typing import BinaryIO
from zoneinfo import ZoneInfo

from quintet_shared.bounded.lines import TOO_LONG, line_blocks, too_long_message
from readings.formats.base import MAX_LINE_BYTES, FileUnusable, Parsed, RowError
from readings.formats.carrots_records import CarrotsState
from readings.formats.local_time import LocalCalendar
from readings.formats.stream import is_utf8, open_text

Handler = Callable[[int, list[bytes]], Parsed | None]
RECORD_TYPES = "020, 022, 024 or 026"
NOT_UTF8 = "the line is not valid UTF-8"


class CarrotsParser:
    name = "carrots"
    description = "Pipe-delimited records: 020 supply point, 022 meter, 024 half-hourly, 026 register"

    def parse(self, stream: BinaryIO, *, timezone: ZoneInfo) -> Iterator[Parsed]:
        state = CarrotsState(LocalCalendar(timezone))
        handlers: dict[bytes, Handler] = {
            b"024": state.interval,
            b"026": state.register,
            b"022": state.meter_record,
            b"020": state.supply_point,
        }
        return _parse(open_text(stream), handlers)


def _parse(reader: BinaryIO, handlers: dict[bytes, Handler]) -> Iterator[Parsed]:
    line, started = 0, False
    for lines in line_blocks(reader, MAX_LINE_BYTES):
        for raw in lines:
            line += 1
            fields = raw.split(b"|")
            handler = handlers.get(fields[0])
            if handler is not None:
                started = True
                item = handler(line, fields)
                if item is not None:
                    yield item if type(item) is not RowError or is_utf8(raw) else RowError(line, NOT_UTF8)
            elif raw.strip():  # unexpected lines: over-long, unknown record type (blank ones are skipped)
                if not started:
                    _check_first(raw.lstrip(TOO_LONG).split(b"|", 1)[0], line, handlers)
                    started = True
                yield RowError(line, _unexpected(raw, fields[0]))
    if not started:
        raise FileUnusable("the file holds no carrots records")


def _check_first(record_type: bytes, line: int, handlers: dict[bytes, Handler]) -> None:
    """A file whose first record is not a carrots record is some other file, not a bad row."""
    if record_type not in handlers:
        shown = record_type[:20].decode("utf-8", "replace")
        raise FileUnusable(f"not a carrots file: line {line} starts with {shown!r}, expected a {RECORD_TYPES} record")


def _unexpected(raw: bytes, record_type: bytes) -> str:
    if raw.startswith(TOO_LONG):
        return too_long_message(MAX_LINE_BYTES)
    if not is_utf8(raw):
        return NOT_UTF8
    return f"unknown record type {record_type[:20].decode()!r}: expected {RECORD_TYPES}"
